// Requests through a real Envoy, reduced to what a user sees: which instance served each hop.
import http from 'node:http';

export interface Answer {
  status: number;
  servedBy: string | undefined;
  /** "frontend/stable orders/feature-x payments/stable" */
  path: string;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        let path = body;
        try {
          const hops = (JSON.parse(body) as { hops: Array<{ service: string; lane: string }> }).hops;
          path = hops.map((h) => `${h.service}/${h.lane}`).join(' ');
        } catch {
          // not a demo-service answer (e.g. Envoy's own 404/503): keep the raw body
        }
        const servedBy = res.headers['x-lane-served-by'];
        resolve({ status: res.statusCode ?? 0, servedBy: typeof servedBy === 'string' ? servedBy : undefined, path });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Polls until the path through the mesh equals `expected`; returns the milliseconds it took. */
export async function waitForPath(url: string, headers: Record<string, string>, expected: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  let last: Answer | undefined;
  while (performance.now() - started < timeoutMs) {
    last = await get(url, headers).catch(() => undefined);
    if (last?.status === 200 && last.path === expected) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`after ${timeoutMs} ms the path is "${last?.path}" (status ${last?.status}), expected "${expected}"`);
}
