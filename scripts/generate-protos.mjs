#!/usr/bin/env node
// Generates TypeScript for the Envoy v3 protos we emit, from the .proto sources that
// @grpc/grpc-js-xds ships (scripts/proto-workspace.mjs). Output goes to
// control-plane/src/envoy/generated (never edited, not committed); scripts/generate-encoders.mjs
// then adds the encoders to it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, generatedDir as out, pathArgs, withProtoWorkspace } from './proto-workspace.mjs';

withProtoWorkspace((work) => {
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
  execFileSync(bin('buf'), ['generate', ...pathArgs()], { cwd: work, stdio: 'inherit' });
  console.log(`generate-protos: wrote ${out}`);
});
