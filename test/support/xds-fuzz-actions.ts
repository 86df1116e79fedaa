// Hostile ADS streams for the xDS fuzzer (test/e2e/xds-fuzz.test.ts): a seeded PRNG, and one
// random abusive stream per call (SotW, delta, raw bytes, slow reader), each reporting how it ended.
import { create, toBinary } from '@bufbuild/protobuf';
import { Client, credentials, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { DiscoveryRequestSchema } from '../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { TypeUrl } from '../../control-plane/src/xds/type-urls.js';
import { AdsClient, type AdsClientNode } from './ads-client.js';
import { DeltaAdsClient } from './delta-ads-client.js';
import type { Random as Prng } from './seeded-random.js';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';

/** The fuzzer's seeded PRNG. */
export { Random as Prng } from './seeded-random.js';

/** How an abusive stream ended: a status the server sent, or "open" (ignored, we cancelled it). */
export interface StreamOutcome {
  kind: string;
  requests: number;
  status: StatusObject | 'open';
}

const KNOWN_TYPES = Object.values(TypeUrl);
const ODD_TYPES = ['type.googleapis.com/envoy.config.nope.v3.Nope', 'garbage', 'type.googleapis.com/', '\u00ff\u0000x', 'x'.repeat(5000)];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The status if the server ended the stream within `ms`, else "open". */
export async function settle(status: Promise<StatusObject>, ms: number): Promise<StatusObject | 'open'> {
  return Promise.race([status, sleep(ms).then(() => 'open' as const)]);
}

function typeUrl(rng: Prng): string {
  return rng.chance(0.75) ? rng.pick(KNOWN_TYPES) : rng.chance(0.9) ? rng.pick(ODD_TYPES) : '';
}

function names(rng: Prng, clusters: readonly string[]): string[] {
  switch (rng.int(5)) {
    case 0: return [];
    case 1: return Array.from({ length: 1 + rng.int(20_000) }, (_, i) => `n${i % 97}-${rng.int(1e6)}`); // huge
    case 2: return Array.from({ length: 50 }, () => rng.pick(clusters)); // duplicates
    case 3: return ['*', ...clusters.slice(0, rng.int(clusters.length + 1))];
    default: return [rng.pick(clusters), String.fromCharCode(rng.int(0xd7ff)), 'y'.repeat(rng.int(100_000))];
  }
}

function nonce(rng: Prng, seen: readonly string[]): string {
  switch (rng.int(5)) {
    case 0: return '';
    case 1: return seen.length ? rng.pick(seen) : 'stale'; // stale or current
    case 2: return String(1e9 + rng.int(1e9)); // future
    case 3: return rng.bytes(1 + rng.int(40)).toString('latin1');
    default: return 'z'.repeat(rng.int(70_000));
  }
}

/** A node for the first request: normal, missing, empty id, oversized or deeply nested metadata. */
export function hostileNode(rng: Prng, i: number): AdsClientNode | undefined {
  const id = `fuzz-${i}`;
  switch (rng.int(6)) {
    case 0: return undefined;
    case 1: return { id: '' };
    case 2: return { id, metadata: { group: 'g', blob: 'm'.repeat(1 + rng.int(2_000_000)) } };
    case 3: {
      let deep: Record<string, unknown> = { group: 'g' };
      for (let d = 0; d < 50 + rng.int(150); d++) deep = { d: deep };
      return { id, metadata: deep };
    }
    case 4: return { id, cluster: 'c'.repeat(rng.int(10_000)), metadata: { group: rng.chance(0.5) ? 'g' : `nowhere-${rng.int(5)}` } };
    default: return { id, metadata: { group: 'g' }, envoyVersion: [1, rng.int(60), rng.int(10)] };
  }
}

export async function sotwAbuse(rng: Prng, port: number, i: number, clusters: readonly string[]): Promise<StreamOutcome> {
  const c = new AdsClient(port, hostileNode(rng, i));
  const steps = 1 + rng.int(12);
  for (let s = 0; s < steps; s++) {
    const seen = c.responses.map((r) => r.nonce);
    const last = c.responses.at(-1);
    if (last && rng.chance(0.3)) {
      if (rng.chance(0.5)) c.ack(last);
      else c.nack(last, 'fuzz says no');
    } else {
      const nack = rng.chance(0.2) ? { errorDetail: { code: rng.int(20), message: 'never sent' } } : {};
      c.request({ typeUrl: typeUrl(rng), resourceNames: names(rng, clusters), versionInfo: nonce(rng, seen), responseNonce: nonce(rng, seen), ...nack });
    }
    if (rng.chance(0.3)) await sleep(rng.int(30));
  }
  return finish(c, 'sotw', steps, rng);
}

export async function deltaAbuse(rng: Prng, port: number, i: number, clusters: readonly string[]): Promise<StreamOutcome> {
  const c = new DeltaAdsClient(port, hostileNode(rng, i));
  const steps = 1 + rng.int(15);
  for (let s = 0; s < steps; s++) {
    const seen = c.responses.map((r) => r.nonce);
    const initial = rng.chance(0.2) ? Object.fromEntries(names(rng, clusters).slice(0, 5000).map((n) => [n, nonce(rng, [])])) : {};
    const nack = rng.chance(0.2) ? { errorDetail: { message: 'never sent' } } : {};
    c.request({
      typeUrl: typeUrl(rng),
      subscribe: names(rng, clusters),
      unsubscribe: rng.chance(0.5) ? names(rng, clusters) : [],
      initialResourceVersions: initial,
      responseNonce: nonce(rng, seen),
      ...nack,
    });
    if (rng.chance(0.3)) await sleep(rng.int(30));
  }
  return finish(c, 'delta', steps, rng);
}

async function finish(c: AdsClient | DeltaAdsClient, kind: string, requests: number, rng: Prng): Promise<StreamOutcome> {
  const status = await settle(c.status, 50 + rng.int(250));
  c.close();
  return { kind, requests, status };
}

/** Raw bytes on either method: garbage, truncated or padded valid messages. */
function rawMessage(rng: Prng): Buffer {
  const valid = Buffer.from(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: TypeUrl.Cluster, node: { id: 'raw' } })));
  switch (rng.int(4)) {
    case 0: return rng.bytes(1 + rng.int(300));
    case 1: return valid.subarray(0, rng.int(valid.length));
    case 2: return Buffer.concat([valid, rng.bytes(1 + rng.int(20))]);
    default: return Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]); // length far past the end
  }
}

export function rawCall(client: Client, method: string): ClientDuplexStream<Buffer, Buffer> {
  return client.makeBidiStreamRequest(`${SERVICE}/${method}`, (b: Buffer) => b, (b: Buffer) => b);
}

export async function rawAbuse(rng: Prng, client: Client): Promise<StreamOutcome> {
  const call = rawCall(client, rng.pick(['StreamAggregatedResources', 'DeltaAggregatedResources']));
  call.on('error', () => {});
  call.on('data', () => {});
  const status = new Promise<StatusObject>((resolve) => call.on('status', resolve));
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) call.write(rawMessage(rng));
  const outcome = await settle(status, 300);
  call.cancel();
  return { kind: 'raw', requests: n, status: outcome };
}

/**
 * A slow reader: asks for everything, often, with big name lists, and never reads a response. It is
 * held open while the caller publishes, then cancelled.
 */
export function slowReader(rng: Prng, client: Client, i: number, clusters: readonly string[]): { requests: number; cancel(): void } {
  const call = rawCall(client, 'StreamAggregatedResources');
  call.on('error', () => {});
  call.pause();
  let requests = 0;
  for (const type of KNOWN_TYPES) {
    for (let k = 0; k < 3; k++) {
      const node = requests === 0 ? { id: `slow-${i}`, metadata: { group: 'g' } as never } : undefined;
      call.write(Buffer.from(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: type, resourceNames: [...clusters, ...names(rng, clusters)], node }))));
      requests++;
    }
  }
  return { requests, cancel: () => call.cancel() };
}

/** `n` streams opened on one channel, some sending a first request, then dropped with the channel. */
export async function abandonBurst(rng: Prng, port: number, n: number): Promise<number> {
  const client = rawClient(port);
  const first = Buffer.from(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: TypeUrl.Cluster, node: { id: 'abandoned', metadata: { group: 'g' } as never } })));
  const calls = Array.from({ length: n }, () => {
    const call = rawCall(client, rng.pick(['StreamAggregatedResources', 'DeltaAggregatedResources']));
    call.on('error', () => {});
    call.on('data', () => {});
    if (rng.chance(0.5)) call.write(first);
    return call;
  });
  await sleep(20 + rng.int(100));
  for (const call of calls) if (rng.chance(0.5)) call.cancel();
  client.close(); // grpc-js keeps the channel's open calls; cancel the rest as a vanished peer would
  for (const call of calls) call.cancel();
  return n;
}

/** A channel for raw calls; `close()` it when done. */
export function rawClient(port: number): Client {
  return new Client(`127.0.0.1:${port}`, credentials.createInsecure());
}
