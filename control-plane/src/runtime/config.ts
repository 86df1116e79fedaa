// Control-plane settings from flags (--api-port 8080) or environment (LANEWAY_API_PORT=8080);
// a flag beats the environment, which beats the default.

export interface ControlPlaneConfig {
  dataDir: string;
  apiPort: number;
  xdsPort: number;
  host: string;
  configDir?: string;
  logLevel: string;
  /** YAML/JSON file of API tokens (see api/tokens.ts). */
  tokensFile?: string;
  /** Inline API tokens, "name:role:token,..."; from the environment only, so they never show in `ps`. */
  apiTokens?: string;
  /** Kubernetes mode: Services, Pods and Lane resources are the source of truth (docs/kubernetes.md). */
  kubernetes?: boolean;
  kubeconfig?: string;
  kubernetesNamespace?: string;
}

interface OptionSpec {
  key: keyof ControlPlaneConfig;
  flag?: string;
  env: string;
  kind: 'string' | 'port' | 'boolean';
  default?: string;
}

const OPTIONS: OptionSpec[] = [
  { key: 'dataDir', flag: '--data-dir', env: 'LANEWAY_DATA_DIR', kind: 'string', default: './data' },
  { key: 'apiPort', flag: '--api-port', env: 'LANEWAY_API_PORT', kind: 'port', default: '8080' },
  { key: 'xdsPort', flag: '--xds-port', env: 'LANEWAY_XDS_PORT', kind: 'port', default: '18000' },
  { key: 'host', flag: '--host', env: 'LANEWAY_HOST', kind: 'string', default: '127.0.0.1' },
  { key: 'configDir', flag: '--config-dir', env: 'LANEWAY_CONFIG_DIR', kind: 'string' },
  { key: 'logLevel', flag: '--log-level', env: 'LANEWAY_LOG_LEVEL', kind: 'string', default: 'info' },
  { key: 'tokensFile', flag: '--tokens-file', env: 'LANEWAY_TOKENS_FILE', kind: 'string' },
  { key: 'apiTokens', env: 'LANEWAY_API_TOKENS', kind: 'string' },
  { key: 'kubernetes', flag: '--kubernetes', env: 'LANEWAY_KUBERNETES', kind: 'boolean' },
  { key: 'kubeconfig', flag: '--kubeconfig', env: 'LANEWAY_KUBECONFIG', kind: 'string' },
  { key: 'kubernetesNamespace', flag: '--kubernetes-namespace', env: 'LANEWAY_KUBERNETES_NAMESPACE', kind: 'string' },
];

export const USAGE = `usage: laneway serve [options]
${OPTIONS.map((o) => `  ${(o.flag ? `${o.flag}${o.kind === 'boolean' ? '' : ' VALUE'}` : '').padEnd(22)} env ${o.env.padEnd(20)}${o.default ? ` default ${o.default}` : ''}`).join('\n')}`;

export class ConfigError extends Error {}

function readFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const option = OPTIONS.find((o) => o.flag === name);
    if (!option) throw new ConfigError(`unknown option ${name}\n${USAGE}`);
    const value = eq > 0 ? arg.slice(eq + 1) : option.kind === 'boolean' ? 'true' : argv[++i];
    if (value === undefined) throw new ConfigError(`${name} needs a value`);
    flags.set(name, value);
  }
  return flags;
}

function parsePort(source: string, raw: string): number {
  const port = Number(raw);
  // Port 0 asks the OS for a free port (tests use it).
  if (!/^\d+$/.test(raw) || port > 65535) throw new ConfigError(`${source}: "${raw}" is not a port (0-65535)`);
  return port;
}

function parseBoolean(source: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${source}: "${raw}" is not a boolean (true/false, 1/0)`);
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): ControlPlaneConfig {
  const flags = readFlags(argv);
  const config: Record<string, string | number | boolean | undefined> = {};
  for (const o of OPTIONS) {
    const fromFlag = o.flag === undefined ? undefined : flags.get(o.flag);
    const fromEnv = env[o.env] || undefined;
    const raw = fromFlag ?? fromEnv ?? o.default;
    const source = fromFlag !== undefined ? o.flag! : fromEnv !== undefined ? o.env : 'default';
    if (raw === undefined) continue;
    if (raw === '') throw new ConfigError(`${source}: must not be empty`);
    config[o.key] = o.kind === 'port' ? parsePort(source, raw) : o.kind === 'boolean' ? parseBoolean(source, raw) : raw;
  }
  return config as unknown as ControlPlaneConfig;
}
