// A demo HTTP service for the lane mesh: answers JSON listing every hop that served the request,
// calling the next service through its sidecar and forwarding the lane header (all an app must do).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoServiceOptions {
  service: string;
  /** The instance this process is: a lane name, or "stable". */
  lane: string;
  host: string;
  port: number;
  /** Services to call, in order, for every request. */
  calls: string[];
  /** The sidecar's outbound listener, e.g. http://127.0.0.1:15001. */
  sidecarUrl?: string;
  /** Headers copied from the incoming request onto outgoing calls. */
  propagate: string[];
}

export interface Hop {
  service: string;
  lane: string;
}

export interface DemoService {
  port: number;
  close(): Promise<void>;
}

function forwardedHeaders(req: http.IncomingMessage, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name.toLowerCase()];
    if (typeof value === 'string') out[name.toLowerCase()] = value;
  }
  return out;
}

function callThroughSidecar(sidecarUrl: string, callee: string, headers: Record<string, string>): Promise<Hop[]> {
  const url = new URL(sidecarUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: '/', method: 'GET', headers: { ...headers, host: callee } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${callee} answered ${res.statusCode}: ${body.slice(0, 200)}`));
          try {
            resolve((JSON.parse(body) as { hops: Hop[] }).hops);
          } catch {
            reject(new Error(`${callee} answered non-JSON: ${body.slice(0, 200)}`));
          }
        });
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`${callee} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function startDemoService(opts: DemoServiceOptions): Promise<DemoService> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const hops: Hop[] = [{ service: opts.service, lane: opts.lane }];
      try {
        for (const callee of opts.calls) {
          if (!opts.sidecarUrl) throw new Error('no sidecar configured for outbound calls');
          hops.push(...(await callThroughSidecar(opts.sidecarUrl, callee, forwardedHeaders(req, opts.propagate))));
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ hops }));
      } catch (err) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ hops, error: (err as Error).message }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
