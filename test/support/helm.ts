// Helm for tests: the binary from scripts/ensure-helm.sh (built once per machine from the Go module
// proxy, like the kube-apiserver), run with its config, cache and data dirs in a temp dir.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const ENSURE = fileURLToPath(new URL('../../scripts/ensure-helm.sh', import.meta.url));
export const CHART_DIR = fileURLToPath(new URL('../../deploy/helm/laneway', import.meta.url));

/** Builds (once per machine) or finds helm; returns its directory. */
export function ensureHelm(): string {
  // Never skipped: a missing binary is built here, which the first time takes minutes.
  return execFileSync('bash', [ENSURE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export class Helm {
  constructor(readonly binDir: string, readonly homeDir: string) {}

  run(args: string[]): string {
    const env = {
      ...process.env,
      HELM_CONFIG_HOME: join(this.homeDir, 'config'),
      HELM_CACHE_HOME: join(this.homeDir, 'cache'),
      HELM_DATA_HOME: join(this.homeDir, 'data'),
    };
    return execFileSync(join(this.binDir, 'helm'), args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** `helm template` of the chart as YAML text (CRDs included, as `helm install` creates them). */
  template(namespace: string, set: string[] = []): string {
    return this.run(['template', 'laneway', CHART_DIR, '--namespace', namespace, '--include-crds', ...set.flatMap((s) => ['--set', s])]);
  }
}

/** The objects of a multi-document YAML text (empty documents left out). */
export function objectsOf(text: string): any[] {
  return parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o && typeof o === 'object');
}

export const keyOf = (o: any): string => `${o.kind}/${o.metadata.name}`;
