// Requests into the demo mesh reduced to what a user sees: the status, the served-by header, and
// which instance served each hop (with the served-by header each caller's sidecar returned).
import http from 'node:http';
import type { Hop } from '../demo/grpc.js';

export interface MeshAnswer {
  status: number;
  servedBy: string | undefined;
  /** "frontend/stable orders/feature-x payments/stable" (or the raw body when it is not hops). */
  path: string;
  hops: Hop[];
  error?: string;
}

export type RequestHeaders = Record<string, string | string[]>;

/** GET `url` (a path and query may be included) with the given headers, Host among them. */
export function meshGet(url: string, headers: RequestHeaders = {}): Promise<MeshAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        let parsed: { hops?: Hop[]; error?: string } = {};
        try {
          parsed = JSON.parse(body) as typeof parsed;
        } catch {
          // Envoy's own answer (404, 503): no hops
        }
        const hops = parsed.hops ?? [];
        const servedBy = res.headers['x-lane-served-by'];
        resolve({
          status: res.statusCode ?? 0,
          servedBy: typeof servedBy === 'string' ? servedBy : undefined,
          path: hops.length > 0 ? hops.map((h) => `${h.service}/${h.lane}`).join(' ') : body,
          hops,
          ...(parsed.error !== undefined && { error: parsed.error }),
        });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Polls until `accept` holds for an answer; returns it and the milliseconds it took. */
export async function waitForAnswer(
  url: string,
  headers: RequestHeaders,
  accept: (answer: MeshAnswer) => boolean,
  timeoutMs: number,
): Promise<{ answer: MeshAnswer; ms: number }> {
  const started = performance.now();
  let last: MeshAnswer | undefined;
  while (performance.now() - started < timeoutMs) {
    last = await meshGet(url, headers).catch(() => undefined);
    if (last && accept(last)) return { answer: last, ms: performance.now() - started };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`after ${timeoutMs} ms the last answer was ${JSON.stringify(last)}`);
}
