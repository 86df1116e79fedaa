// The core routing suite (lanes.test.ts) again, on the oldest Envoy release Laneway supports,
// installed beside the pinned one by scripts/ensure-envoy.mjs. Only this file runs on both
// releases, to keep the matrix cheap; the golden files pass `envoy --mode validate` on it as well
// (LANEWAY_ENVOY_BIN=<its path> node --import tsx --test test/golden/envoy-validate.test.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { envoyBinFor, OLDEST, PINNED } from '../../scripts/envoy-releases.mjs';
import { NEWEST_TESTED_ENVOY, OLDEST_SUPPORTED_ENVOY } from '../../control-plane/src/runtime/envoy-versions.js';

const bin = envoyBinFor(OLDEST);
if (!existsSync(bin)) throw new Error(`envoy ${OLDEST} is not installed at ${bin}: run node scripts/ensure-envoy.mjs`);
// LocalMesh starts every Envoy from LANEWAY_ENVOY_BIN; node --test runs each file in its own process.
process.env.LANEWAY_ENVOY_BIN = bin;

test(`the Envoy this file runs is ${OLDEST}, the supported range's lower end; the pinned one its upper end`, () => {
  assert.match(execFileSync(bin, ['--version'], { encoding: 'utf8' }), new RegExp(`/${OLDEST.replaceAll('.', '\\.')}/`));
  assert.equal(OLDEST_SUPPORTED_ENVOY.join('.'), OLDEST.split('.').slice(0, 2).join('.'));
  assert.equal(NEWEST_TESTED_ENVOY.join('.'), PINNED.split('.').slice(0, 2).join('.'));
});

await import('./lanes.test.js');
