// Where the CLI finds the control plane and its token: flags, then environment (LANEWAY_SERVER,
// LANEWAY_TOKEN, LANEWAY_CA), then a config file (--config, LANEWAY_CONFIG, or ~/.config/laneway/config.yaml):
//
//   server: https://laneway.internal.example:8080
//   token: 3f2c...
//   ca: /etc/laneway/ca.crt     # trust this CA for https (beside the system's)
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { OutputFormat } from './command.js';
import { ClientConfigError, UsageError } from './errors.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
const OUTPUTS: OutputFormat[] = ['table', 'json', 'yaml'];
const GLOBAL_FLAGS: Record<string, 'server' | 'token' | 'output' | 'config' | 'ca'> = {
  '--server': 'server', '--token': 'token', '--output': 'output', '-o': 'output', '--config': 'config', '--ca': 'ca',
};

export interface GlobalOptions {
  server?: string;
  token?: string;
  output?: string;
  config?: string;
  ca?: string;
}

export interface ClientConfig {
  server: string;
  token?: string;
  output: OutputFormat;
  /** PEM of the CA file given (--ca, LANEWAY_CA, config `ca`): trusted for https beside the system's. */
  ca?: Buffer;
}

/** Takes the global flags out of `argv` wherever they are; returns them and the rest. */
export function extractGlobalOptions(argv: string[]): { options: GlobalOptions; rest: string[] } {
  const options: GlobalOptions = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = Object.hasOwn(GLOBAL_FLAGS, flag) ? GLOBAL_FLAGS[flag] : undefined;
    if (!key) {
      rest.push(arg);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
    options[key] = value;
  }
  return { options, rest };
}

function readConfigFile(file: string, explicit: boolean): { server?: string; token?: string; ca?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ClientConfigError(`config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text) ?? {};
  } catch (err) {
    throw new ClientConfigError(`config file ${file}: not valid YAML: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ClientConfigError(`config file ${file}: must be a mapping with server and token`);
  const { server, token, ca, ...unknown } = parsed as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw new ClientConfigError(`config file ${file}: unknown field ${extra.join(', ')} (allowed: server, token, ca)`);
  if (ca !== undefined && typeof ca !== 'string') throw new ClientConfigError(`config file ${file}: ca must be a file path`);
  if (server !== undefined && typeof server !== 'string') throw new ClientConfigError(`config file ${file}: server must be a URL string`);
  if (token !== undefined && typeof token !== 'string') throw new ClientConfigError(`config file ${file}: token must be a string`);
  return { ...(server && { server }), ...(token && { token }), ...(ca && { ca }) };
}

function readCa(file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ClientConfigError(`--ca ${file}: ${(err as Error).message}`);
  }
}

function defaultConfigFile(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'laneway', 'config.yaml');
}

export function resolveClientConfig(options: GlobalOptions, env: NodeJS.ProcessEnv): ClientConfig {
  const explicitFile = options.config ?? (env.LANEWAY_CONFIG || undefined);
  const file = readConfigFile(explicitFile ?? defaultConfigFile(env), explicitFile !== undefined);
  const server = options.server ?? (env.LANEWAY_SERVER || undefined) ?? file.server ?? DEFAULT_SERVER;
  const token = options.token ?? (env.LANEWAY_TOKEN || undefined) ?? file.token;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ClientConfigError(`server ${JSON.stringify(server)} is not a URL such as ${DEFAULT_SERVER}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ClientConfigError(`server ${JSON.stringify(server)} must be an http:// or https:// URL`);
  const output = (options.output ?? 'table') as OutputFormat;
  if (!OUTPUTS.includes(output)) throw new ClientConfigError(`-o must be one of ${OUTPUTS.join(', ')}, got ${JSON.stringify(options.output)}`);
  const ca = readCa(options.ca ?? (env.LANEWAY_CA || undefined) ?? file.ca);
  return { server: server.replace(/\/+$/, ''), ...(token && { token }), output, ...(ca && { ca }) };
}
