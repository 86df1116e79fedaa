import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FieldError } from '../../control-plane/src/model/errors.js';
import type { Lane, MeshState, Service } from '../../control-plane/src/model/types.js';
import { validateLane, validateMeshState, validateService, validateSettings } from '../../control-plane/src/model/validate.js';

const NAME_REASON = "is not a DNS label (1-63 lowercase letters, digits and '-', starting and ending with a letter or digit)";
const ENDPOINT_REASON = 'is not host:port (host: IPv4, [IPv6] or DNS name; port 1-65535)';

function errorsOf(result: { ok: boolean; errors?: FieldError[] }): string[] {
  return result.ok ? [] : result.errors!.map((e) => `${e.path}: ${e.reason}`);
}

describe('validateService', () => {
  const valid: Array<[string, unknown, Service]> = [
    ['minimal, no endpoints yet', { name: 'orders', protocol: 'http', port: 8080 }, { name: 'orders', protocol: 'http', port: 8080, endpoints: [] }],
    ['every host form', { port: 1, protocol: 'grpc', name: 'a', endpoints: ['10.0.0.1:65535', '[::1]:80', 'orders.default.svc:8080', 'Host-1:9'] },
      { name: 'a', protocol: 'grpc', port: 1, endpoints: ['10.0.0.1:65535', '[::1]:80', 'orders.default.svc:8080', 'Host-1:9'] }],
    ['63-character name', { name: 'a'.repeat(63), protocol: 'http', port: 80, endpoints: [] }, { name: 'a'.repeat(63), protocol: 'http', port: 80, endpoints: [] }],
  ];
  for (const [title, input, expected] of valid) {
    test(`accepts ${title}`, () => assert.deepEqual(validateService(input), { ok: true, value: expected }));
  }

  const invalid: Array<[string, unknown, string[]]> = [
    ['not an object', 'orders', ['services: must be an object, got "orders"']],
    ['missing fields', { name: 'orders' }, ['services/orders/protocol: is required', 'services/orders/port: is required']],
    ['uppercase name', { name: 'Orders', protocol: 'http', port: 80 }, [`services/Orders/name: "Orders" ${NAME_REASON}`]],
    ['name ending in a dash', { name: 'orders-', protocol: 'http', port: 80 }, [`services/orders-/name: "orders-" ${NAME_REASON}`]],
    ['64-character name', { name: 'a'.repeat(64), protocol: 'http', port: 80 }, [`services/${'a'.repeat(64)}/name: "${'a'.repeat(64)}" ${NAME_REASON}`]],
    ['tcp protocol', { name: 'orders', protocol: 'tcp', port: 80 }, ['services/orders/protocol: must be "http" or "grpc", got "tcp"']],
    ['port 0', { name: 'orders', protocol: 'http', port: 0 }, ['services/orders/port: must be an integer from 1 to 65535, got 0']],
    ['port 65536', { name: 'orders', protocol: 'http', port: 65536 }, ['services/orders/port: must be an integer from 1 to 65535, got 65536']],
    ['fractional port', { name: 'orders', protocol: 'http', port: 80.5 }, ['services/orders/port: must be an integer from 1 to 65535, got 80.5']],
    ['string port', { name: 'orders', protocol: 'http', port: '80' }, ['services/orders/port: must be an integer from 1 to 65535, got "80"']],
    ['unknown field', { name: 'orders', protocol: 'http', port: 80, colour: 'red' }, ['services/orders/colour: unknown field (allowed: name, protocol, port, endpoints, dependsOn, namespace, addresses)']],
    ['endpoints not a list', { name: 'orders', protocol: 'http', port: 80, endpoints: '10.0.0.1:80' }, ['services/orders/endpoints: must be a list of "host:port" strings, got "10.0.0.1:80"']],
    ['bad endpoints', { name: 'orders', protocol: 'http', port: 80, endpoints: ['10.0.0.1:80', 'no-port', '10.0.0.1:0', '::1:80', '999.0.0.1:80', 'a_b:80', 7] }, [
      `services/orders/endpoints/1: "no-port" ${ENDPOINT_REASON}`,
      `services/orders/endpoints/2: "10.0.0.1:0" ${ENDPOINT_REASON}`,
      `services/orders/endpoints/3: "::1:80" ${ENDPOINT_REASON}`,
      `services/orders/endpoints/4: "999.0.0.1:80" ${ENDPOINT_REASON}`,
      `services/orders/endpoints/5: "a_b:80" ${ENDPOINT_REASON}`,
      'services/orders/endpoints/6: must be a "host:port" string, got 7',
    ]],
    ['duplicate endpoint', { name: 'orders', protocol: 'http', port: 80, endpoints: ['a.test:80', 'b.test:80', 'A.test:80'] },
      ['services/orders/endpoints/2: duplicate endpoint "A.test:80" (also at services/orders/endpoints/0)']],
  ];
  for (const [title, input, expected] of invalid) {
    test(`refuses ${title}`, () => assert.deepEqual(errorsOf(validateService(input)), expected));
  }

  test('uses the path it is given', () => {
    assert.deepEqual(errorsOf(validateService({ name: 'orders', protocol: 'http', port: 0 }, 'files/x.yaml')), ['files/x.yaml/port: must be an integer from 1 to 65535, got 0']);
  });
});

describe('validateLane', () => {
  const valid: Array<[string, unknown, Lane]> = [
    ['no services yet', { name: 'feature-x' }, { name: 'feature-x', services: {} }],
    ['every field, services sorted', {
      expiresAt: '2030-01-31T18:00:00Z', labels: { team: 'checkout', 'laneway.dev/ticket': 'JIRA-12', empty: '' }, description: 'fix', owner: 'ana@example.test',
      services: { payments: ['10.0.0.2:80'], orders: ['10.0.0.1:80'] }, fallback: 'feature-y', name: 'feature-x',
    }, {
      name: 'feature-x', fallback: 'feature-y', services: { orders: ['10.0.0.1:80'], payments: ['10.0.0.2:80'] }, owner: 'ana@example.test',
      description: 'fix', labels: { team: 'checkout', 'laneway.dev/ticket': 'JIRA-12', empty: '' }, expiresAt: '2030-01-31T18:00:00Z',
    }],
    ['explicit stable fallback', { name: 'x', fallback: 'stable', services: {} }, { name: 'x', fallback: 'stable', services: {} }],
  ];
  for (const [title, input, expected] of valid) {
    test(`accepts ${title}`, () => assert.deepEqual(validateLane(input), { ok: true, value: expected }));
  }

  const invalid: Array<[string, unknown, string[]]> = [
    ['the reserved name', { name: 'stable', services: {} }, ['lanes/stable/name: "stable" is reserved for the mainline instances']],
    ['a missing name', { services: {} }, ['lanes/name: is required']],
    ['a bad fallback', { name: 'x', fallback: 'Feature_Y' }, [`lanes/x/fallback: "Feature_Y" ${NAME_REASON}`]],
    ['an override with no endpoints', { name: 'feature-x', services: { orders: [] } },
      ['lanes/feature-x/services/orders: a lane must give at least one endpoint for each service it overrides']],
    ['a bad override endpoint', { name: 'feature-x', services: { orders: ['not an endpoint'] } }, [`lanes/feature-x/services/orders/0: "not an endpoint" ${ENDPOINT_REASON}`]],
    ['a bad service name', { name: 'x', services: { Orders: ['10.0.0.1:80'] } }, [`lanes/x/services/Orders: "Orders" ${NAME_REASON}`]],
    ['services as a list', { name: 'x', services: ['orders'] }, ['lanes/x/services: must be an object of service name to endpoint list, got ["orders"]']],
    ['unknown fields', { name: 'x', ttl: '1h' }, ['lanes/x/ttl: unknown field (allowed: name, fallback, services, owner, description, labels, expiresAt, fallbackOnUnhealthy, forks)']],
    ['a long description', { name: 'x', description: 'd'.repeat(1025) }, ['lanes/x/description: must be at most 1024 characters, got 1025']],
    ['a long owner', { name: 'x', owner: 'o'.repeat(254) }, ['lanes/x/owner: must be at most 253 characters, got 254']],
    ['too many labels', { name: 'x', labels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }, ['lanes/x/labels: must have at most 64 labels, got 65']],
    ['bad label key and value', { name: 'x', labels: { 'bad key': 'v', ok: 'bad value' } }, [
      `lanes/x/labels/bad key: "bad key" is not a label key ([prefix/]name; name 1-63 letters, digits, '-', '_', '.', starting and ending with a letter or digit)`,
      `lanes/x/labels/ok: "bad value" is not a label value (empty, or 1-63 letters, digits, '-', '_', '.', starting and ending with a letter or digit)`,
    ]],
    ['a bad expiry', { name: 'x', expiresAt: 'tomorrow' }, ['lanes/x/expiresAt: must be an RFC 3339 timestamp such as "2030-01-31T18:00:00Z", got "tomorrow"']],
  ];
  for (const [title, input, expected] of invalid) {
    test(`refuses ${title}`, () => assert.deepEqual(errorsOf(validateLane(input)), expected));
  }
});

describe('validateSettings', () => {
  test('fills defaults', () => {
    assert.deepEqual(validateSettings({}), { ok: true, value: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' } });
    assert.deepEqual(validateSettings({ laneHeader: 'tag', entryService: 'frontend' }), { ok: true, value: { laneHeader: 'tag', servedByHeader: 'x-lane-served-by', entryService: 'frontend' } });
    assert.deepEqual(validateSettings({ maxLaneTtl: '7d', ingressDomain: 'app.example.test', defaultLaneTtl: '8h' }), {
      ok: true, value: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', ingressDomain: 'app.example.test', defaultLaneTtl: '8h', maxLaneTtl: '7d' },
    });
    // hopRecords false is the same settings as none; tracing keeps what was given.
    assert.deepEqual(validateSettings({ hopRecords: false, tracing: { collector: 'otel-collector.observability:4317' } }), {
      ok: true, value: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', tracing: { collector: 'otel-collector.observability:4317' } },
    });
    assert.deepEqual(validateSettings({ hopRecords: true, tracing: { collector: '10.0.0.9:4317', samplingPercent: 12.5 } }), {
      ok: true, value: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', hopRecords: true, tracing: { collector: '10.0.0.9:4317', samplingPercent: 12.5 } },
    });
  });
  const invalid: Array<[string, unknown, string[]]> = [
    ['an uppercase header', { laneHeader: 'X-Lane' }, ["settings/laneHeader: must be a lowercase HTTP header name (letters, digits and !#$%&'*+.^_`|~-, at most 128), got \"X-Lane\""]],
    ['a pseudo-header', { laneHeader: ':authority' }, ["settings/laneHeader: must be a lowercase HTTP header name (letters, digits and !#$%&'*+.^_`|~-, at most 128), got \":authority\""]],
    ['a reserved header', { laneHeader: 'host' }, ['settings/laneHeader: "host" is reserved by HTTP and cannot carry lanes']],
    ['the same header twice', { laneHeader: 'x-a', servedByHeader: 'x-a' }, ['settings/servedByHeader: must differ from laneHeader "x-a"']],
    ['unknown fields', { header: 'x' }, ['settings/header: unknown field (allowed: laneHeader, servedByHeader, entryService, ingressDomain, defaultLaneTtl, maxLaneTtl, laneFrom, hopRecords, tracing)']],
    ['hop records that are not a boolean', { hopRecords: 'yes' }, ['settings/hopRecords: must be true or false, got "yes"']],
    ['tracing without a collector address', { tracing: { collector: 'otel', samplingPercent: 101, extra: 1 } }, [
      'settings/tracing/extra: unknown field (allowed: collector, samplingPercent)',
      'settings/tracing/collector: must be the OTLP gRPC collector as "host:port", got "otel"',
      'settings/tracing/samplingPercent: must be a number from 0 to 100, got 101',
    ]],
    ['a one-label ingress domain', { ingressDomain: 'localhost' }, ['settings/ingressDomain: must be a lowercase DNS name such as "app.example.test", got "localhost"']],
    ['an uppercase ingress domain', { ingressDomain: 'App.example.test' }, ['settings/ingressDomain: must be a lowercase DNS name such as "app.example.test", got "App.example.test"']],
    ['a TTL that is not a duration', { defaultLaneTtl: '2 hours' }, ['settings/defaultLaneTtl: must be a duration such as "90s", "30m", "2h", "1h30m" or "7d", from 1s to 366d, got "2 hours"']],
    ['a TTL over a year', { maxLaneTtl: '367d' }, ['settings/maxLaneTtl: must be a duration such as "90s", "30m", "2h", "1h30m" or "7d", from 1s to 366d, got "367d"']],
    ['a default TTL over the maximum', { defaultLaneTtl: '2d', maxLaneTtl: '1d' }, ['settings/defaultLaneTtl: "2d" is longer than maxLaneTtl "1d"']],
  ];
  for (const [title, input, expected] of invalid) {
    test(`refuses ${title}`, () => assert.deepEqual(errorsOf(validateSettings(input)), expected));
  }
});

describe('validateMeshState', () => {
  const svc = (name: string): Service => ({ name, protocol: 'http', port: 80, endpoints: [] });
  const state = (lanes: Lane[], entryService?: string): MeshState => ({
    settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', ...(entryService && { entryService }) },
    services: { orders: svc('orders'), payments: svc('payments') },
    lanes: Object.fromEntries(lanes.map((l) => [l.name, l])),
  });
  const ep = ['10.0.0.1:80'];

  const cases: Array<[string, MeshState, string[]]> = [
    ['a valid chain', state([{ name: 'a', fallback: 'b', services: { orders: ep } }, { name: 'b', services: { payments: ep } }], 'orders'), []],
    ['a dangling fallback', state([{ name: 'feature-x', fallback: 'feature-y', services: {} }]), ['lanes/feature-x/fallback: lane "feature-y" does not exist']],
    ['an unknown service', state([{ name: 'x', services: { constructor: ep } }]), ['lanes/x/services/constructor: service "constructor" does not exist']],
    ['a self cycle', state([{ name: 'a', fallback: 'a', services: {} }]), ['lanes/a/fallback: fallback cycle a -> a']],
    ['a cycle entered from outside, named once', state([
      { name: 'c', fallback: 'b', services: {} }, { name: 'b', fallback: 'a', services: {} }, { name: 'a', fallback: 'b', services: {} }, { name: 'z', fallback: 'a', services: {} },
    ]), ['lanes/a/fallback: fallback cycle a -> b -> a']],
    ['a missing entry service', state([], 'checkout'), ['settings/entryService: service "checkout" does not exist']],
    ['a key that differs from the name', { ...state([]), lanes: { a: { name: 'b', services: {} } } }, ['lanes/a/name: must equal its key "a", got "b"']],
    ['invalid objects inside', { ...state([]), services: { orders: { ...svc('orders'), port: 0 } } }, ['services/orders/port: must be an integer from 1 to 65535, got 0']],
  ];
  for (const [title, input, expected] of cases) {
    test(title, () => assert.deepEqual(validateMeshState(input).map((e) => `${e.path}: ${e.reason}`), expected));
  }
});
