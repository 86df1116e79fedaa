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
  /** Push debounce (runtime/push-debounce.ts): shortest time between two publishes. */
  pushHoldOffMs?: number;
  /** Push debounce: longest time between two publishes while changes keep coming. */
  pushMaxDelayMs?: number;
  /** Change pushes in flight across all ADS streams (xds/push-limiter.ts); 0: no cap. */
  maxConcurrentPushes?: number;
  /** V8's old-generation growth after a major GC, in percent of the live heap (runtime/heap-growth.ts); 0: V8 chooses. */
  heapGrowingPercent?: number;
  /** Sidecar injection webhook (HTTPS) on this port; absent: no webhook (docs/kubernetes.md). */
  webhookPort?: number;
  /** PEM files of the webhook's serving certificate (e.g. from cert-manager); absent: a CA shared through a Secret. */
  webhookCert?: string;
  webhookKey?: string;
  /** The MutatingWebhookConfiguration whose caBundle the control plane writes; default laneway-sidecar-injector. */
  webhookConfigName?: string;
  /** Names in the serving certificate, comma-separated; default laneway-webhook.<namespace>.svc and 127.0.0.1. */
  webhookHosts?: string;
  injectProxyImage?: string;
  injectCaptureImage?: string;
  /** Where injected sidecars reach xDS; default laneway.<namespace>.svc. */
  injectXdsHost?: string;
  injectXdsPort?: number;
  injectProxyCpu?: string;
  injectProxyMemory?: string;
  injectProxyMemoryLimit?: string;
}

interface OptionSpec {
  key: keyof ControlPlaneConfig;
  flag?: string;
  env: string;
  kind: 'string' | 'port' | 'boolean' | 'ms' | 'count' | 'percent';
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
  { key: 'pushHoldOffMs', flag: '--push-hold-off-ms', env: 'LANEWAY_PUSH_HOLD_OFF_MS', kind: 'ms', default: '100' },
  { key: 'pushMaxDelayMs', flag: '--push-max-delay-ms', env: 'LANEWAY_PUSH_MAX_DELAY_MS', kind: 'ms', default: '1000' },
  { key: 'maxConcurrentPushes', flag: '--max-concurrent-pushes', env: 'LANEWAY_MAX_CONCURRENT_PUSHES', kind: 'count', default: '100' },
  { key: 'webhookPort', flag: '--webhook-port', env: 'LANEWAY_WEBHOOK_PORT', kind: 'port' },
  { key: 'webhookCert', flag: '--webhook-cert', env: 'LANEWAY_WEBHOOK_CERT', kind: 'string' },
  { key: 'webhookKey', flag: '--webhook-key', env: 'LANEWAY_WEBHOOK_KEY', kind: 'string' },
  { key: 'webhookConfigName', flag: '--webhook-config-name', env: 'LANEWAY_WEBHOOK_CONFIG_NAME', kind: 'string' },
  { key: 'webhookHosts', flag: '--webhook-hosts', env: 'LANEWAY_WEBHOOK_HOSTS', kind: 'string' },
  { key: 'injectProxyImage', flag: '--inject-proxy-image', env: 'LANEWAY_INJECT_PROXY_IMAGE', kind: 'string' },
  { key: 'injectCaptureImage', flag: '--inject-capture-image', env: 'LANEWAY_INJECT_CAPTURE_IMAGE', kind: 'string' },
  { key: 'injectXdsHost', flag: '--inject-xds-host', env: 'LANEWAY_INJECT_XDS_HOST', kind: 'string' },
  { key: 'injectXdsPort', flag: '--inject-xds-port', env: 'LANEWAY_INJECT_XDS_PORT', kind: 'port' },
  { key: 'injectProxyCpu', flag: '--inject-proxy-cpu', env: 'LANEWAY_INJECT_PROXY_CPU', kind: 'string' },
  { key: 'injectProxyMemory', flag: '--inject-proxy-memory', env: 'LANEWAY_INJECT_PROXY_MEMORY', kind: 'string' },
  { key: 'injectProxyMemoryLimit', flag: '--inject-proxy-memory-limit', env: 'LANEWAY_INJECT_PROXY_MEMORY_LIMIT', kind: 'string' },
  { key: 'heapGrowingPercent', flag: '--heap-growing-percent', env: 'LANEWAY_HEAP_GROWING_PERCENT', kind: 'percent', default: '100' },
];

export const USAGE = `usage: laneway serve [options]
${OPTIONS.map((o) => `  ${(o.flag ? `${o.flag}${o.kind === 'boolean' ? '' : ' VALUE'}` : '').padEnd(30)} env ${o.env.padEnd(30)}${o.default ? ` default ${o.default}` : ''}`).join('\n')}`;

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

function parseInteger(source: string, raw: string, max: number, what: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw new ConfigError(`${source}: "${raw}" is not ${what} (0-${max})`);
  return Number(raw);
}

function parseValue(o: OptionSpec, source: string, raw: string): string | number | boolean {
  switch (o.kind) {
    case 'port': return parsePort(source, raw);
    case 'boolean': return parseBoolean(source, raw);
    case 'ms': return parseInteger(source, raw, 60_000, 'a number of milliseconds');
    case 'count': return parseInteger(source, raw, 1_000_000, 'a count');
    case 'percent': return parseInteger(source, raw, 1_000, 'a percentage');
    default: return raw;
  }
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
    config[o.key] = parseValue(o, source, raw);
  }
  const { pushHoldOffMs, pushMaxDelayMs } = config as { pushHoldOffMs: number; pushMaxDelayMs: number };
  if (pushMaxDelayMs < pushHoldOffMs) {
    throw new ConfigError(`push max delay (${pushMaxDelayMs} ms, --push-max-delay-ms) must not be below the hold-off (${pushHoldOffMs} ms, --push-hold-off-ms)`);
  }
  if (config.webhookPort !== undefined && !config.kubernetes && (config.webhookCert === undefined || config.webhookKey === undefined)) {
    throw new ConfigError('--webhook-port needs --kubernetes (a CA shared through a Secret) or both --webhook-cert and --webhook-key');
  }
  if ((config.webhookCert === undefined) !== (config.webhookKey === undefined)) throw new ConfigError('--webhook-cert and --webhook-key go together');
  return config as unknown as ControlPlaneConfig;
}
