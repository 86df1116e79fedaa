// Golden cases: test/golden/in/<case>.yaml holds a MeshState (names filled from keys, settings
// over the defaults) and the proxies to translate it for. Shared by the golden tests.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULT_SETTINGS, type Lane, type MeshState, type Service } from '../../control-plane/src/model/types.js';
import type { ProxyTarget } from '../../control-plane/src/translate/proxy.js';

export const IN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'in');
export const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'out');
export const RESOURCE_KINDS = ['listeners', 'routes', 'clusters', 'endpoints'] as const;

export interface GoldenProxy {
  /** Part of the output file names: explicit `name`, else `sidecar-<service>` or `ingress`. */
  name: string;
  target: ProxyTarget;
}

export interface GoldenCase {
  name: string;
  state: MeshState;
  proxies: GoldenProxy[];
}

interface CaseFile {
  settings?: Partial<MeshState['settings']>;
  services?: Record<string, Omit<Service, 'name'>>;
  lanes?: Record<string, Partial<Omit<Lane, 'name'>>>;
  proxies: Array<ProxyTarget & { name?: string }>;
}

function toState(file: CaseFile): MeshState {
  const services = Object.fromEntries(Object.entries(file.services ?? {}).map(([name, s]) => [name, { name, ...s }]));
  const lanes = Object.fromEntries(
    Object.entries(file.lanes ?? {}).map(([name, l]) => [name, { name, ...l, services: l.services ?? {} }]),
  );
  return { settings: { ...DEFAULT_SETTINGS, ...file.settings }, services, lanes };
}

function toProxy({ name, ...target }: ProxyTarget & { name?: string }): GoldenProxy {
  return { name: name ?? (target.kind === 'sidecar' ? `sidecar-${target.service}` : target.kind), target };
}

export function loadCases(): GoldenCase[] {
  return readdirSync(IN_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = parse(readFileSync(join(IN_DIR, f), 'utf8')) as CaseFile;
      return { name: f.slice(0, -'.yaml'.length), state: toState(file), proxies: file.proxies.map(toProxy) };
    });
}

export function outputFile(c: GoldenCase, proxy: GoldenProxy, kind: (typeof RESOURCE_KINDS)[number]): string {
  return `${c.name}.${proxy.name}.${kind}.yaml`;
}
