// The top of a V8 CPU profile: where the time went, by function, for the report.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  selfMs: number;
  share: number;
}

function label(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  const file = url.split('/').slice(-2).join('/');
  return `${functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
}

/** Self time per function (summed over call sites), busiest first; idle time left out of the shares. */
export function topSelfTime(file: string, limit = 15): { totalMs: number; idleMs: number; lines: ProfileLine[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let idleMs = 0;
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const name = label(byId.get(id)!);
    totalMs += ms;
    if (name.startsWith('(idle)')) idleMs += ms;
    else self.set(name, (self.get(name) ?? 0) + ms);
  });
  const busy = totalMs - idleMs;
  const lines = [...self].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([name, ms]) => ({ name, selfMs: ms, share: ms / busy }));
  return { totalMs, idleMs, lines };
}

/** Which part of the system a sample belongs to: the nearest Laneway source folder on its stack. */
function area(node: ProfileNode, parentOf: Map<number, ProfileNode>): string {
  const own = node.callFrame.functionName;
  if (own === '(garbage collector)') return 'garbage collector';
  if (own === '(program)') return 'V8 / native (unattributed)';
  for (let n: ProfileNode | undefined = node; n; n = parentOf.get(n.id)) {
    const url = n.callFrame.url;
    const match = /\/control-plane\/src\/([a-z-]+)\//.exec(url);
    if (match) return match[1] === 'envoy' ? 'envoy/ (protobuf helpers, called by translate/)' : `${match[1]}/`;
    if (url.includes('@grpc/grpc-js')) return 'grpc-js (HTTP/2 framing)';
    if (url.includes('/fastify/') || url.includes('/find-my-way/')) return 'fastify (HTTP API)';
  }
  return 'node internals (HTTP/2 sessions, sockets, timers)';
}

/** Busy time by area: the translator and its protobuf calls count as translate/, and so on. */
export function busyByArea(file: string): Array<{ area: string; ms: number; share: number }> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const totals = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    busy += ms;
    const key = area(node, parentOf);
    totals.set(key, (totals.get(key) ?? 0) + ms);
  });
  return [...totals].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ area: name, ms, share: ms / busy }));
}
