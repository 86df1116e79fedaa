// The buf workspace both generators read: the .proto sources @grpc/grpc-js-xds ships
// (deps/envoy-api, deps/xds, deps/googleapis, deps/protoc-gen-validate), in a temporary folder.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const generatedDir = join(root, 'control-plane/src/envoy/generated');
export const bin = (name) => join(root, 'node_modules/.bin', name);
const deps = join(root, 'node_modules/@grpc/grpc-js-xds/deps');

// The protos Laneway emits or speaks; their imports are generated too.
export const protoFiles = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/admin/v3/config_dump.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  // Lane dispatch (virtual host matcher on the lane header) and lane entry (Lua).
  'envoy/type/matcher/v3/http_inputs.proto',
  'envoy/extensions/filters/http/lua/v3/lua.proto',
  // Transparent capture: the capture listener and its passthrough to the original destination.
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/direct_response/v3/config.proto',
  // Hop records (issue 27): the access-log service Envoys stream to, its logger config, and tracing.
  'envoy/service/accesslog/v3/als.proto',
  'envoy/extensions/access_loggers/grpc/v3/als.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
];

/** `buf` arguments restricting a command to protoFiles (and what they import). */
export const pathArgs = () => protoFiles.flatMap((f) => ['--path', join('envoy-api', f)]);

// grpc-js-xds ships an older protoc-gen-validate than its envoy-api snapshot expects: envoy's
// protos set StringRules.ignore_empty (field 26 upstream), which protobufjs ignores but buf's
// compiler rejects. Add that one field, as upstream has it, to the temporary copy.
function addMissingValidateField(path) {
  const text = readFileSync(path, 'utf8');
  if (/ignore_empty/.test(text)) return;
  const anchor = 'message StringRules {';
  if (!text.includes(anchor)) throw new Error(`proto-workspace: ${path} has no StringRules`);
  writeFileSync(path, text.replace(anchor, `${anchor}\n    optional bool ignore_empty = 26;`));
}

/** Runs `fn(workDir)` in a fresh buf workspace (buf.yaml written), removed afterwards. */
export function withProtoWorkspace(fn) {
  if (!existsSync(deps)) {
    console.error(`proto-workspace: ${deps} is missing; run npm ci first`);
    process.exit(1);
  }
  const work = mkdtempSync(join(tmpdir(), 'laneway-protos-'));
  try {
    const roots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'];
    for (const r of roots) {
      if (r === 'protoc-gen-validate') cpSync(join(deps, r), join(work, r), { recursive: true });
      else symlinkSync(join(deps, r), join(work, r));
    }
    addMissingValidateField(join(work, 'protoc-gen-validate/validate/validate.proto'));
    writeFileSync(join(work, 'buf.yaml'), `version: v2\nmodules:\n${roots.map((r) => `  - path: ${r}\n`).join('')}`);
    return fn(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
