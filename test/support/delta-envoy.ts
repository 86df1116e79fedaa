// Runs real Envoys on incremental xDS without another bootstrap template: an `envoy` wrapper that
// rewrites the rendered bootstrap's `api_type: GRPC` to `DELTA_GRPC`, then becomes Envoy (exec, so
// the PID the mesh stops is Envoy's own).
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `<dir>/envoy-delta` (for MeshOptions.envoyBin): it rewrites the file after `-c` (sed, so
 * startup stays instant), refuses a bootstrap without exactly one such line, and execs `envoyBin`.
 */
export function writeDeltaEnvoyWrapper(dir: string, envoyBin = process.env.LANEWAY_ENVOY_BIN ?? 'envoy'): string {
  const file = join(dir, 'envoy-delta');
  const script = `#!/bin/sh
set -e
config=""
previous=""
for arg in "$@"; do
  if [ "$previous" = "-c" ]; then config="$arg"; fi
  previous="$arg"
done
[ -n "$config" ] || { echo "envoy-delta: no -c bootstrap given" >&2; exit 2; }
sed -i -E 's/^([[:space:]]*)api_type: GRPC[[:space:]]*$/\\1api_type: DELTA_GRPC/' "$config"
[ "$(grep -c 'api_type: DELTA_GRPC' "$config")" = 1 ] || { echo "envoy-delta: $config has no single api_type: GRPC line" >&2; exit 2; }
exec ${JSON.stringify(envoyBin)} "$@"
`;
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return file;
}

/** Node ids that opened an ADS stream, by protocol, from the control plane's JSON log. */
export function connectedByProtocol(logFile: string): { delta: string[]; sotw: string[] } {
  const delta = new Set<string>();
  const sotw = new Set<string>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"proxy connected"')) continue;
    const entry = JSON.parse(line) as { nodeId?: string; protocol?: string };
    if (entry.nodeId) (entry.protocol === 'delta' ? delta : sotw).add(entry.nodeId);
  }
  return { delta: [...delta].sort(), sotw: [...sotw].sort() };
}
