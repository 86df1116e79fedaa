// The demo service over gRPC (@grpc/grpc-js): a server answering Call (unary) and Watch (server
// streaming) with the hops that served it, and the client the other demo services (and tests) use
// to call it through a sidecar, sending the lane as metadata like any header.
import { credentials, Metadata, Server, ServerCredentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

export interface Hop {
  service: string;
  lane: string;
  servedBy?: string;
}

const PROTO = fileURLToPath(new URL('./demo.proto', import.meta.url));
const definition = loadSync(PROTO, { keepCase: false, defaults: true });
const DemoClient = (loadPackageDefinition(definition) as any).laneway.demo.Demo as ServiceClientConstructor;

export type DemoGrpcClient = Client & {
  call(req: object, md: Metadata, cb: (err: ServiceError | null, res?: { hops: Hop[] }) => void): any;
  watch(req: { count: number }, md: Metadata): NodeJS.EventEmitter & { cancel(): void };
};

/** A client for `service` through a sidecar listener ("127.0.0.1:15001"), Host/:authority `service`. */
export function demoGrpcClient(sidecar: string, service: string): DemoGrpcClient {
  return new DemoClient(sidecar, credentials.createInsecure(), { 'grpc.default_authority': service }) as unknown as DemoGrpcClient;
}

export function metadataFrom(headers: Record<string, string>): Metadata {
  const md = new Metadata();
  for (const [name, value] of Object.entries(headers)) md.set(name, value);
  return md;
}

function servedByOf(md: Metadata, header: string): string | undefined {
  const value = md.get(header)[0];
  return typeof value === 'string' ? value : undefined;
}

/** Unary Call through the sidecar; the first hop carries the served-by header the sidecar added. */
export function callGrpc(client: DemoGrpcClient, headers: Record<string, string>, servedByHeader = 'x-lane-served-by'): Promise<Hop[]> {
  return new Promise((resolve, reject) => {
    let servedBy: string | undefined;
    const call = client.call({}, metadataFrom(headers), (err, res) => {
      if (err || !res) return reject(err ?? new Error('empty answer'));
      const hops = res.hops.map((h) => ({ service: h.service, lane: h.lane, ...(h.servedBy ? { servedBy: h.servedBy } : {}) }));
      if (hops[0] && servedBy) hops[0].servedBy = servedBy;
      resolve(hops);
    });
    call.on('metadata', (md: Metadata) => (servedBy = servedByOf(md, servedByHeader)));
  });
}

/** Server-streaming Watch: the answers in order, each reduced to "service/lane". */
export function watchGrpc(client: DemoGrpcClient, headers: Record<string, string>, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const stream = client.watch({ count }, metadataFrom(headers));
    stream.on('data', (msg: { hops: Hop[] }) => seen.push(msg.hops.map((h) => `${h.service}/${h.lane}`).join(' ')));
    stream.on('error', reject);
    stream.on('end', () => resolve(seen));
  });
}

export interface GrpcHandlers {
  /** Hops for one request, from the incoming metadata as plain headers. */
  hops(headers: Record<string, string>): Promise<Hop[]>;
}

function headersOf(md: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(md.getMap())) if (typeof value === 'string') out[name] = value;
  return out;
}

export async function startGrpcServer(host: string, port: number, handlers: GrpcHandlers): Promise<{ port: number; close(): Promise<void> }> {
  const server = new Server();
  server.addService(DemoClient.service, {
    call(call: any, callback: (err: Error | null, res?: object) => void) {
      handlers.hops(headersOf(call.metadata)).then((hops) => callback(null, { hops }), (err: Error) => callback(err));
    },
    async watch(call: any) {
      const { count } = call.request as { count: number };
      for (let seq = 0; seq < count && !call.cancelled; seq++) call.write({ hops: await handlers.hops(headersOf(call.metadata)), seq });
      call.end();
    },
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => {
      server.forceShutdown();
      resolve();
    }),
  };
}
