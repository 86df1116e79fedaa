// Renders an envoy-configs/ template: every ${NAME} must be given, so a typo fails loudly. One
// renderer for `laneway envoy`, the local mesh and the tests.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type BootstrapKind = 'sidecar' | 'ingress';

// envoy-configs/ sits at the package root: three levels up from this file in a checkout
// (control-plane/src/envoy/), four from its compiled copy (dist/control-plane/src/envoy/).
const CANDIDATES = ['../../../envoy-configs/', '../../../../envoy-configs/'];

export function templatePath(kind: BootstrapKind): string {
  for (const dir of CANDIDATES) {
    const path = fileURLToPath(new URL(`${dir}${kind}.yaml`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`envoy-configs/${kind}.yaml not found next to the laneway package`);
}

export function renderTemplate(template: string, vars: Record<string, string | number>): string {
  const missing = new Set<string>();
  const text = template.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return String(value);
  });
  if (missing.size > 0) throw new Error(`bootstrap template needs ${[...missing].sort().join(', ')}`);
  return text;
}

export function renderBootstrap(kind: BootstrapKind, vars: Record<string, string | number>): string {
  // Comment lines mention ${NAME} as documentation; only render the config itself.
  const template = readFileSync(templatePath(kind), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  return renderTemplate(template, vars);
}
