// Report sections for the stress scenarios: lane churn at rising rates and the reconnect storm.
import type { RunResult } from './scenarios.js';
import { fmt, mb } from './stats.js';

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const ms = (n: number) => (n === Infinity ? 'not converged' : fmt(n, 0));

export function stressSections(runs: RunResult[]): string[] {
  const churned = runs.filter((r) => r.churn.length > 0);
  const stormed = runs.filter((r) => r.storm);
  if (churned.length === 0 && stormed.length === 0) return [];
  const lines: string[] = [];
  if (churned.length > 0) {
    lines.push('', '## Lane churn at rising rates (lanes created through the API, open loop) until p99 passes 1 s', '');
    lines.push('Each row: lanes created at that rate for a few seconds; latency per (lane, affected stream) from the PUT to the ACK of its routes, clusters and endpoints.', '');
    lines.push(table(['server', 'lanes / s', 'lanes', 'p50 ms', 'p99 ms', 'max ms', 'samples', 'not converged', 'API errors', 'server CPU s'],
      churned.flatMap((r) => r.churn.map((c) => [r.server, String(c.ratePerS), String(c.lanes), ms(c.p50), ms(c.p99), ms(c.max), String(c.samples), String(c.missing), String(c.httpErrors), fmt(c.cpuSeconds, 2)]))));
    lines.push('', 'Highest rate with p99 ≤ 1 s:', '');
    for (const r of churned) {
      const ok = r.churn.filter((c) => c.p99 <= 1000 && c.missing === 0).at(-1);
      const last = r.churn.at(-1)!;
      const passed = last.p99 > 1000 ? `; p99 passed 1 s at ${last.ratePerS} lanes/s` : '; p99 stayed under 1 s at every rate tried (or the churn time budget ended)';
      lines.push(`- ${r.server}: ${ok ? `${ok.ratePerS} lanes/s` : 'none'}${passed}`);
    }
  }
  if (stormed.length > 0) {
    lines.push('', '## Reconnect storm (every stream drops and reconnects at once)', '');
    lines.push(table(['server', 'streams', 'all synced (ACKed) ms', 'stream synced p50 / p99 ms', 'streams retried', 'RSS before', 'peak RSS during'],
      stormed.map((r) => {
        const s = r.storm!;
        return [r.server, String(s.streams), fmt(s.allSyncedMs, 0), `${fmt(s.syncedP50, 0)} / ${fmt(s.syncedP99, 0)}`, fmt(s.streamsRetried, 0), `${mb(s.rssBeforeBytes)} MB`, `${mb(s.peakRssBytes)} MB`];
      })));
    lines.push('', 'The reconnecting streams are fresh (no delta `initial_resource_versions`), like restarted proxies: the worst case for the server.');
  }
  return lines;
}
