// Renders an envoy-configs/ template: every ${NAME} must be given, so a typo fails loudly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type BootstrapKind = 'sidecar' | 'ingress';

export function templatePath(kind: BootstrapKind): string {
  return fileURLToPath(new URL(`../../envoy-configs/${kind}.yaml`, import.meta.url));
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
