#!/usr/bin/env node
// Makes sure a Chromium the browser tests can drive is installed: LANEWAY_CHROMIUM_BIN, else
// Debian's `chromium` (/usr/bin/chromium), installed with apt-get when missing. playwright-core
// drives it through executablePath; its own browser downloads are never used (no network at test time).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_BIN = process.env.LANEWAY_CHROMIUM_BIN || '/usr/bin/chromium';

function versionOf(bin) {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return undefined;
  }
}

export function ensureChromium() {
  let version = existsSync(CHROMIUM_BIN) ? versionOf(CHROMIUM_BIN) : undefined;
  if (version) return version;
  if (process.env.LANEWAY_CHROMIUM_BIN) throw new Error(`ensure-chromium: LANEWAY_CHROMIUM_BIN=${CHROMIUM_BIN} does not run`);
  console.log('ensure-chromium: chromium not found; installing Debian\'s chromium with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  version = versionOf(CHROMIUM_BIN);
  if (!version) throw new Error('ensure-chromium: chromium installed but /usr/bin/chromium does not run');
  return version;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`ensure-chromium: ${ensureChromium()} ready`);
}
