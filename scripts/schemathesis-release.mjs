// The schemathesis release the API contract test runs (test/e2e/api-contract.test.ts, docs/api.md):
// installed from PyPI into a virtualenv of its own under ~/.cache/laneway, so one install serves
// every checkout. LANEWAY_SCHEMATHESIS_BIN names another binary (it must report this version).
import { homedir } from 'node:os';
import { join } from 'node:path';

export const SCHEMATHESIS_VERSION = '4.32.5';

/** The virtualenv `ensure-schemathesis.mjs` installs the pinned release into. */
export function schemathesisVenv() {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'laneway', `schemathesis-${SCHEMATHESIS_VERSION}`);
}

/** The schemathesis command the contract test runs. */
export function schemathesisBin() {
  return process.env.LANEWAY_SCHEMATHESIS_BIN || join(schemathesisVenv(), 'bin', 'schemathesis');
}
