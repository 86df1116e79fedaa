// The Envoy releases Laneway supports. Everything the translator emits is accepted by each release
// in the range (the golden files pass `envoy --mode validate` and the routing e2e runs on the oldest
// and the newest), so no feature has to be left out per version. An Envoy older than the range is
// refused when it connects, with a status naming its version and the range, instead of being sent
// configuration it may not know and would NACK.

/** Oldest and newest release (major, minor) tested; scripts/ensure-envoy.mjs installs both. */
export const OLDEST_SUPPORTED_ENVOY = [1, 36] as const;
export const NEWEST_TESTED_ENVOY = [1, 40] as const;

const range = () => `${OLDEST_SUPPORTED_ENVOY.join('.')} to ${NEWEST_TESTED_ENVOY.join('.')}`;

/** Why a node's Envoy cannot be served, or undefined (a supported, newer or unreported version). */
export function unsupportedEnvoy(nodeId: string, version: readonly [number, number, number] | undefined): string | undefined {
  if (!version) return undefined;
  const [major, minor] = version;
  const [oldestMajor, oldestMinor] = OLDEST_SUPPORTED_ENVOY;
  if (major > oldestMajor || (major === oldestMajor && minor >= oldestMinor)) return undefined;
  return `node ${nodeId} runs Envoy ${version.join('.')}, older than Laneway supports (Envoy ${range()}): it could reject configuration it does not know; upgrade it`;
}
