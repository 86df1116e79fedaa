#!/usr/bin/env node
// Generates google-protobuf (protoc --js_out, CommonJS) code for the same Envoy v3 protos that
// scripts/generate-protos.mjs feeds to protoc-gen-es. Used only by the protobuf benchmark
// (test/bench/protobuf-encode.ts) behind docs/adr/0001-protobuf.md; the output is a throwaway
// cache under node_modules/.cache/laneway-bench, never committed. `--force` regenerates.
//
// Why protoc 3.20.3 from Maven Central: the JS generator was removed from protoc in v21 and now
// ships only as protoc-gen-js binaries on GitHub releases. Both npm wrappers (protoc-gen-js,
// @protocolbuffers/protoc-gen-js) and grpc-tools download their binary in postinstall from hosts
// this workplace cannot reach (github.com, node-precompiled-binaries.grpc.io);
// com.google.protobuf:protoc:3.20.3:exe:linux-x86_64 is the last protoc with --js_out built in
// and is served by Maven Central. Set LANEWAY_PROTOC_JS to use another protoc (<= 3.20) instead.
//
// Sources: buf builds the same patched module as generate-protos.mjs into a FileDescriptorSet
// (imports included), and protoc reads it with --descriptor_set_in, so both runtimes are
// generated from identical descriptors.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const deps = join(root, 'node_modules/@grpc/grpc-js-xds/deps');
const cache = join(root, 'node_modules/.cache/laneway-bench');
// One copy of the generated code per installed google-protobuf runtime (package.json aliases
// google-protobuf-v3 to 3.21.4, the runtime of the generator's era), each require()ing its own.
export const runtimes = ['google-protobuf', 'google-protobuf-v3'];
export const googleOutDir = (runtime) => join(cache, runtime);
const stamp = join(cache, '.google-protobuf-complete');
const bin = (name) => join(root, 'node_modules/.bin', name);
const PROTOC_VERSION = '3.20.3';
const PROTOC_ARTIFACT = `com.google.protobuf:protoc:${PROTOC_VERSION}:exe:linux-x86_64`;

// Same list as generate-protos.mjs.
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
];

// Same patch as generate-protos.mjs (grpc-js-xds ships a validate.proto without ignore_empty).
function addMissingValidateField(path) {
  const text = readFileSync(path, 'utf8');
  if (/ignore_empty/.test(text)) return;
  const anchor = 'message StringRules {';
  if (!text.includes(anchor)) throw new Error(`generate-protos-google: ${path} has no StringRules`);
  writeFileSync(path, text.replace(anchor, `${anchor}\n    optional bool ignore_empty = 26;`));
}

/** A protoc with the built-in JS generator: $LANEWAY_PROTOC_JS, or 3.20.3 fetched with Maven. */
function findProtoc() {
  const fromEnv = process.env.LANEWAY_PROTOC_JS;
  if (fromEnv) return fromEnv;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error('generate-protos-google: only linux-x86_64 is wired up; set LANEWAY_PROTOC_JS to a protoc <= 3.20');
  }
  const local = join(homedir(), `.m2/repository/com/google/protobuf/protoc/${PROTOC_VERSION}/protoc-${PROTOC_VERSION}-linux-x86_64.exe`);
  if (!existsSync(local)) {
    console.error(`generate-protos-google: fetching ${PROTOC_ARTIFACT} from Maven Central`);
    execFileSync('mvn', ['-q', '-B', 'dependency:get', `-Dartifact=${PROTOC_ARTIFACT}`, '-Dtransitive=false'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  chmodSync(local, 0o755);
  return local;
}

/** File names in a serialized FileDescriptorSet (field 1 = repeated FileDescriptorProto, whose field 1 = name). */
async function fileNames(setPath) {
  const { fromBinary } = await import('@bufbuild/protobuf');
  const { FileDescriptorSetSchema } = await import('@bufbuild/protobuf/wkt');
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(setPath));
  return set.file.map((f) => f.name);
}

export async function generateGoogleProtobuf({ force = false } = {}) {
  if (!force && existsSync(stamp)) return cache;
  if (!existsSync(deps)) throw new Error(`generate-protos-google: ${deps} is missing; run npm ci first`);
  const protoc = findProtoc();
  const work = mkdtempSync(join(tmpdir(), 'laneway-protos-google-'));
  try {
    const roots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'];
    for (const r of roots) {
      if (r === 'protoc-gen-validate') cpSync(join(deps, r), join(work, r), { recursive: true });
      else symlinkSync(join(deps, r), join(work, r));
    }
    addMissingValidateField(join(work, 'protoc-gen-validate/validate/validate.proto'));
    writeFileSync(join(work, 'buf.yaml'), `version: v2\nmodules:\n${roots.map((r) => `  - path: ${r}\n`).join('')}`);
    const setPath = join(work, 'set.binpb');
    const pathArgs = files.flatMap((f) => ['--path', join('envoy-api', f)]);
    execFileSync(bin('buf'), ['build', '--as-file-descriptor-set', '-o', setPath, ...pathArgs], { cwd: work, stdio: 'inherit' });
    // Well-known types come from the google-protobuf package itself (google-protobuf/google/protobuf/*_pb.js).
    const names = (await fileNames(setPath)).filter((n) => !n.startsWith('google/protobuf/'));
    const raw = join(work, 'js_out');
    mkdirSync(raw);
    execFileSync(protoc, [`--descriptor_set_in=${setPath}`, `--js_out=import_style=commonjs,binary:${raw}`, ...names], {
      stdio: 'inherit',
    });
    for (const runtime of runtimes) {
      const out = googleOutDir(runtime);
      rmSync(out, { recursive: true, force: true });
      cpSync(raw, out, { recursive: true });
      if (runtime !== 'google-protobuf') {
        for (const file of readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('_pb.js'))) {
          const path = join(out, file);
          writeFileSync(path, readFileSync(path, 'utf8').replace(/require\('google-protobuf(?=['/])/g, `require('${runtime}`));
        }
      }
      // CommonJS output inside an ESM ("type":"module") project.
      writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');
    }
    writeFileSync(stamp, `protoc ${PROTOC_VERSION} --js_out, ${names.length} files, for ${runtimes.join(', ')}\n`);
    console.error(`generate-protos-google: wrote ${names.length} files for each of ${runtimes.join(', ')} under ${cache}`);
    return cache;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await generateGoogleProtobuf({ force: process.argv.includes('--force') });
}
