#!/usr/bin/env node
// Makes sure the pinned schemathesis (schemathesis-release.mjs) is runnable for the API contract
// test: when missing, creates a virtualenv under ~/.cache/laneway and pip-installs it from PyPI.
import { execFileSync } from 'node:child_process';
import { schemathesisBin, schemathesisVenv, SCHEMATHESIS_VERSION } from './schemathesis-release.mjs';

function versionOf(bin) {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version (\d+\.\d+\.\d+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    return undefined;
  }
}

const bin = schemathesisBin();
let version = versionOf(bin);
if (version === undefined && !process.env.LANEWAY_SCHEMATHESIS_BIN) {
  const venv = schemathesisVenv();
  console.log(`ensure-schemathesis: installing schemathesis==${SCHEMATHESIS_VERSION} from PyPI into ${venv}`);
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(`${venv}/bin/python`, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`], { stdio: 'inherit' });
  version = versionOf(bin);
}
if (version !== SCHEMATHESIS_VERSION) {
  console.error(`ensure-schemathesis: ${bin} reports ${version ?? 'nothing'}; the API contract test needs schemathesis ${SCHEMATHESIS_VERSION}`);
  process.exit(1);
}
console.log(`ensure-schemathesis: schemathesis ${version} ready at ${bin}`);
