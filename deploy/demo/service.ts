// A demo service for the lane mesh: answers (JSON over HTTP, or gRPC) listing every hop that served
// the request, calling the next services (through its sidecar as an HTTP proxy, or directly by name
// where the sidecar captures outbound traffic) and forwarding the lane header and baggage (all an
// app must do). Each callee's hop records the served-by header its sidecar added.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { callGrpc, demoGrpcClient, startGrpcServer, type Hop } from './grpc.js';

export type { Hop } from './grpc.js';

/** What the demo app fails to forward (a bug to find with `laneway doctor`): the lane (header and baggage), or everything. */
export type DemoDrop = 'lane' | 'all';

/** The headers an app forwards from incoming to outgoing requests: the lane header, baggage and traceparent, less what `drop` leaves out. */
export function propagatedHeaders(laneHeader: string, drop?: DemoDrop): string[] {
  if (drop === 'all') return [];
  return drop === 'lane' ? ['traceparent'] : [laneHeader, 'baggage', 'traceparent'];
}

export interface DemoServiceOptions {
  service: string;
  /** The instance this process is: a lane name, or "stable". */
  lane: string;
  host: string;
  port: number;
  /** Services to call, in order, for every request. */
  calls: string[];
  /** The sidecar's outbound listener, e.g. http://127.0.0.1:15001; none: callees are called by name (`http://orders:8080/`), which transparent capture routes. */
  sidecarUrl?: string;
  /** The callees' port when they are called by name (default 8080). */
  calleePort?: number;
  /** Headers copied from the incoming request onto outgoing calls. */
  propagate: string[];
  /** How this service answers: JSON over HTTP (default) or the Demo gRPC service (demo.proto). */
  protocol?: 'http' | 'grpc';
  /** Callees (among `calls`) spoken to over gRPC. */
  grpcCallees?: string[];
  /** Response header naming who served a call (default x-lane-served-by). */
  servedByHeader?: string;
}

export interface DemoService {
  port: number;
  close(): Promise<void>;
}

function forwardedHeaders(incoming: Record<string, unknown>, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = incoming[name.toLowerCase()];
    if (typeof value === 'string') out[name.toLowerCase()] = value;
  }
  return out;
}

/** Where a call to `callee` connects: the sidecar's outbound listener, or the callee itself by name. */
function calleeAddress(opts: DemoServiceOptions, callee: string): { host: string; port: number } {
  if (!opts.sidecarUrl) return { host: callee, port: opts.calleePort ?? 8080 };
  const url = new URL(opts.sidecarUrl);
  return { host: url.hostname, port: Number(url.port) };
}

function callHttp(address: { host: string; port: number }, callee: string, headers: Record<string, string>, servedByHeader: string): Promise<Hop[]> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: address.host, port: address.port, path: '/', method: 'GET', headers: { ...headers, host: callee } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${callee} answered ${res.statusCode}: ${body.slice(0, 200)}`));
          try {
            const hops = (JSON.parse(body) as { hops: Hop[] }).hops;
            const servedBy = res.headers[servedByHeader];
            if (hops[0] && typeof servedBy === 'string') hops[0].servedBy = servedBy;
            resolve(hops);
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

/** Calls every callee in order, forwarding the propagated headers. */
function hopsFor(opts: DemoServiceOptions, incoming: Record<string, unknown>): Promise<Hop[]> {
  const servedByHeader = opts.servedByHeader ?? 'x-lane-served-by';
  return (async () => {
    const hops: Hop[] = [{ service: opts.service, lane: opts.lane }];
    const headers = forwardedHeaders(incoming, opts.propagate);
    for (const callee of opts.calls) {
      const address = calleeAddress(opts, callee);
      if (opts.grpcCallees?.includes(callee)) {
        // A channel per call keeps the demo simple; a real app would keep one per callee.
        const client = demoGrpcClient(`${address.host}:${address.port}`, callee);
        hops.push(...(await callGrpc(client, headers, servedByHeader).finally(() => client.close())));
      } else {
        hops.push(...(await callHttp(address, callee, headers, servedByHeader)));
      }
    }
    return hops;
  })();
}

function startHttp(opts: DemoServiceOptions): http.Server {
  return http.createServer((req, res) => {
    hopsFor(opts, req.headers).then(
      (hops) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ hops }));
      },
      (err: Error) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ hops: [{ service: opts.service, lane: opts.lane }], error: err.message }));
      },
    );
  });
}

export async function startDemoService(opts: DemoServiceOptions): Promise<DemoService> {
  if (opts.protocol === 'grpc') return startGrpcServer(opts.host, opts.port, { hops: (headers) => hopsFor(opts, headers) });
  const server = startHttp(opts);
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
