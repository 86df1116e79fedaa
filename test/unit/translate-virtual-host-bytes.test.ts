// The hand-written VirtualHost bytes (translate/virtual-host-bytes.ts) must equal the protobuf
// runtime's for every kind of service virtual host: each row below is encoded by one encoder, in
// order and then again, so every row after the first of its shape goes through the fast path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { VirtualHostSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { DEFAULT_SETTINGS, type Lane, type MeshState, type Protocol, type Settings } from '../../control-plane/src/model/types.js';
import { serviceVirtualHost } from '../../control-plane/src/translate/route.js';
import { VirtualHostEncoder } from '../../control-plane/src/translate/virtual-host-bytes.js';

interface Row {
  what: string;
  state: MeshState;
  service: string;
}

/** `service` (and "other", which lanes may override instead) with the given lanes. */
function row(what: string, service: string, protocol: Protocol, lanes: Lane[], settings: Partial<Settings> = {}, port = 8080): Row {
  const services = {
    [service]: { name: service, protocol, port, endpoints: ['10.0.0.1:8080'] },
    other: { name: 'other', protocol: 'http' as const, port: 8080, endpoints: ['10.0.0.2:8080'] },
  };
  const byName = Object.fromEntries(lanes.map((lane) => [lane.name, lane]));
  return { what, service, state: { settings: { ...DEFAULT_SETTINGS, ...settings }, services, lanes: byName } };
}

const lane = (name: string, services: Record<string, string[]>, extra: Partial<Lane> = {}): Lane => ({ name, services, ...extra });
const overriding = (service: string, name: string, extra: Partial<Lane> = {}) => lane(name, { [service]: ['127.0.0.1:18080'] }, extra);
const fallingBack = (service: string, name: string) => overriding(service, name, { fallbackOnUnhealthy: true });
/** 150 lanes with names of 2 to 63 bytes, so routes, actions and entries fall either side of 128 bytes. */
const manyLanes = (service: string, fallbackEvery = 0) =>
  Array.from({ length: 150 }, (_, i) => {
    const name = `l${i}`.padEnd(2 + ((i * 7) % 62), 'x');
    return fallbackEvery > 0 && i % fallbackEvery === 0 ? fallingBack(service, name) : overriding(service, name);
  });

const ROWS: Row[] = [
  row('http, no lanes', 'orders', 'http', []),
  row('grpc, no lanes', 'payments', 'grpc', []),
  row('http, only lanes of another service', 'orders', 'http', [overriding('other', 'feature-x')]),
  row('http, one lane', 'orders', 'http', [overriding('orders', 'feature-x')]),
  row('grpc, one lane', 'payments', 'grpc', [overriding('payments', 'feature-y')]),
  row('http, one lane falling back to stable when unhealthy', 'orders', 'http', [fallingBack('orders', 'fb')]),
  row('grpc, one lane falling back to stable when unhealthy', 'payments', 'grpc', [fallingBack('payments', 'fb')]),
  row('http, plain and falling-back lanes', 'orders', 'http', [overriding('orders', 'a'), fallingBack('orders', 'b'), overriding('orders', 'c')]),
  row('grpc, plain and falling-back lanes', 'payments', 'grpc', [fallingBack('payments', 'a'), overriding('payments', 'b')]),
  row('http, 150 lanes (virtual host over 16384 bytes)', 'orders', 'http', manyLanes('orders')),
  row('grpc, 150 lanes', 'payments', 'grpc', manyLanes('payments')),
  row('http, 150 lanes, every third falling back', 'orders', 'http', manyLanes('orders', 3)),
  row('lanes given out of order', 'orders', 'http', [overriding('orders', 'zeta'), overriding('orders', 'alpha'), overriding('orders', 'mid')]),
  row('a lane without the service reaches the next lane\'s (falling-back) instance', 'orders', 'http', [
    lane('front', { other: ['10.1.0.1:8080'] }, { fallback: 'back' }),
    fallingBack('orders', 'back'),
    lane('plain', {}, { fallback: 'back' }),
  ]),
  row('a lane whose entry for the service has no endpoints is skipped', 'orders', 'http', [lane('empty', { orders: [] }), overriding('orders', 'full')]),
  row('other lane and served-by headers, upper case (lowercased)', 'orders', 'http', [overriding('orders', 'feature-x')], { laneHeader: 'X-Tenant-Lane', servedByHeader: 'X-Served-By' }),
  row('headers of 128 bytes', 'payments', 'grpc', [fallingBack('payments', 'fb')], { laneHeader: 'l'.repeat(128), servedByHeader: 's'.repeat(128) }),
  row('the longest names validation allows (63 bytes)', 's'.repeat(63), 'http', [overriding('s'.repeat(63), 'l'.repeat(63)), fallingBack('s'.repeat(63), 'm'.repeat(63))]),
  row('ports 1 and 65535', 'orders', 'http', [], {}, 1),
  row('port 65535 with lanes', 'orders', 'grpc', [overriding('orders', 'feature-x')], {}, 65535),
  // Not valid in a model, but encoded alike: multi-byte UTF-8, and empty header names (fields omitted).
  row('non-ASCII service and lane names', 'commandes-é', 'http', [overriding('commandes-é', 'fonctionnalité-ü'), fallingBack('commandes-é', 'ラーン')]),
  row('empty lane and served-by headers', 'orders', 'grpc', [overriding('orders', 'feature-x')], { laneHeader: '', servedByHeader: '' }),
  // JavaScript lists integer-like keys first: the runtime's map order is not lane order here.
  row('lanes named like numbers', 'orders', 'http', ['7', '42', '0123', 'a'].map((name) => overriding('orders', name))),
];

const runtime = ({ state, service }: Row) => Buffer.from(toBinary(VirtualHostSchema, create(VirtualHostSchema, serviceVirtualHost(state, service))));

describe('VirtualHostEncoder', () => {
  test('VirtualHost bytes equal the protobuf runtime for every row, first of its shape and after', () => {
    const encoder = new VirtualHostEncoder();
    for (const r of [...ROWS, ...ROWS]) {
      assert.deepEqual(Buffer.from(encoder.virtualHost(r.state, r.service)), runtime(r), r.what);
    }
    // Every shape passed its check, so every later virtual host of it was written by hand.
    assert.deepEqual(encoder.fastPaths.handWrittenShapes, [
      'grpc: lanes fallback',
      'grpc: lanes plain',
      'grpc: lanes plain fallback',
      'grpc: stable only',
      'http: lanes fallback',
      'http: lanes plain',
      'http: lanes plain fallback',
      'http: stable only',
    ]);
  });

  test('the rows reach the varint edges: a virtual host over 16384 bytes', () => {
    const big = ROWS.find((r) => r.what.startsWith('http, 150 lanes'))!;
    assert.ok(runtime(big).byteLength > 16384, `${runtime(big).byteLength} bytes`);
  });

  test('a virtual host of a checked shape is written by hand, not by the runtime', () => {
    const encoder = new VirtualHostEncoder();
    const [first, second] = [ROWS[3]!, ROWS[12]!];
    // The runtime returns a plain Uint8Array; the hand-written bytes are a Buffer.
    assert.equal(Buffer.isBuffer(encoder.virtualHost(first.state, first.service)), false, 'the first of a shape comes from the runtime');
    assert.deepEqual(encoder.fastPaths.handWrittenShapes, ['http: lanes plain']);
    const bytes = encoder.virtualHost(second.state, second.service);
    assert.equal(Buffer.isBuffer(bytes), true);
    assert.deepEqual(Buffer.from(bytes), runtime(second));
  });
});
