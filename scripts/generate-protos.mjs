#!/usr/bin/env node
// Generates TypeScript for the Envoy v3 protos we emit, from the .proto sources that
// @grpc/grpc-js-xds ships (deps/envoy-api, deps/xds, deps/googleapis, deps/protoc-gen-validate).
// Output goes to control-plane/src/envoy/generated (never edited, not committed).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const deps = join(root, 'node_modules/@grpc/grpc-js-xds/deps');
const out = join(root, 'control-plane/src/envoy/generated');
const bin = (name) => join(root, 'node_modules/.bin', name);

// The protos Laneway emits or speaks; their imports are generated too.
const files = [
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

// grpc-js-xds ships an older protoc-gen-validate than its envoy-api snapshot expects: envoy's
// protos set StringRules.ignore_empty (field 26 upstream), which protobufjs ignores but buf's
// compiler rejects. Add that one field, as upstream has it, to the temporary copy.
function addMissingValidateField(path) {
  const text = readFileSync(path, 'utf8');
  if (/ignore_empty/.test(text)) return;
  const anchor = 'message StringRules {';
  if (!text.includes(anchor)) throw new Error(`generate-protos: ${path} has no StringRules`);
  writeFileSync(path, text.replace(anchor, `${anchor}\n    optional bool ignore_empty = 26;`));
}

if (!existsSync(deps)) {
  console.error(`generate-protos: ${deps} is missing; run npm ci first`);
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
  writeFileSync(
    join(work, 'buf.gen.yaml'),
    [
      'version: v2',
      'plugins:',
      `  - local: ${bin('protoc-gen-es')}`,
      `    out: ${out}`,
      '    include_imports: true',
      '    opt: [target=ts, import_extension=js]',
      '',
    ].join('\n'),
  );
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const pathArgs = files.flatMap((f) => ['--path', join('envoy-api', f)]);
  execFileSync(bin('buf'), ['generate', ...pathArgs], { cwd: work, stdio: 'inherit' });
  console.log(`generate-protos: wrote ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
