import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../control-plane/src/runtime/config.js';

test('defaults', () => {
  assert.deepEqual(parseConfig([], {}), {
    dataDir: './data', apiPort: 8080, xdsPort: 18000, host: '127.0.0.1', logLevel: 'info', pushHoldOffMs: 100, pushMaxDelayMs: 1000, maxConcurrentPushes: 100, heapGrowingPercent: 100,
  });
});

test('flags beat environment, environment beats defaults', () => {
  const env = { LANEWAY_API_PORT: '9000', LANEWAY_XDS_PORT: '19000', LANEWAY_DATA_DIR: '/env/data', LANEWAY_CONFIG_DIR: '/env/conf', LANEWAY_HOST: '0.0.0.0' };
  assert.deepEqual(parseConfig(['--api-port', '9100', '--config-dir=/flag/conf'], env), {
    dataDir: '/env/data', apiPort: 9100, xdsPort: 19000, host: '0.0.0.0', configDir: '/flag/conf', logLevel: 'info', pushHoldOffMs: 100, pushMaxDelayMs: 1000, maxConcurrentPushes: 100, heapGrowingPercent: 100,
  });
});

test('push settings: --push-hold-off-ms / LANEWAY_PUSH_HOLD_OFF_MS', () => {
  assert.equal(parseConfig(['--push-hold-off-ms', '0'], {}).pushHoldOffMs, 0);
  assert.equal(parseConfig([], { LANEWAY_PUSH_HOLD_OFF_MS: '250' }).pushHoldOffMs, 250);
});

test('push settings: --push-max-delay-ms / LANEWAY_PUSH_MAX_DELAY_MS', () => {
  assert.equal(parseConfig(['--push-max-delay-ms=2500'], { LANEWAY_PUSH_MAX_DELAY_MS: '500' }).pushMaxDelayMs, 2500);
  assert.equal(parseConfig([], { LANEWAY_PUSH_MAX_DELAY_MS: '500' }).pushMaxDelayMs, 500);
});

test('push settings: --max-concurrent-pushes / LANEWAY_MAX_CONCURRENT_PUSHES', () => {
  assert.equal(parseConfig(['--max-concurrent-pushes', '25'], {}).maxConcurrentPushes, 25);
  assert.equal(parseConfig([], { LANEWAY_MAX_CONCURRENT_PUSHES: '0' }).maxConcurrentPushes, 0);
});

const bad: Array<[string[], Record<string, string>, RegExp]> = [
  [['--api-port', 'eighty'], {}, /--api-port: "eighty" is not a port/],
  [['--xds-port', '70000'], {}, /--xds-port: "70000" is not a port/],
  [[], { LANEWAY_API_PORT: '-1' }, /LANEWAY_API_PORT: "-1" is not a port/],
  [['--colour', 'red'], {}, /unknown option --colour/],
  [['--data-dir'], {}, /--data-dir needs a value/],
  [['--host='], {}, /--host: must not be empty/],
  [['--push-hold-off-ms', '1s'], {}, /--push-hold-off-ms: "1s" is not a number of milliseconds \(0-60000\)/],
  [[], { LANEWAY_PUSH_MAX_DELAY_MS: '90000' }, /LANEWAY_PUSH_MAX_DELAY_MS: "90000" is not a number of milliseconds/],
  [['--push-hold-off-ms', '500', '--push-max-delay-ms', '100'], {}, /push max delay \(100 ms, --push-max-delay-ms\) must not be below the hold-off \(500 ms/],
  [['--max-concurrent-pushes', '-3'], {}, /--max-concurrent-pushes: "-3" is not a count/],
];
for (const [argv, env, message] of bad) {
  test(`refuses ${JSON.stringify(argv)} ${JSON.stringify(env)}`, () => {
    assert.throws(() => parseConfig(argv, env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  });
}

test('webhook: --webhook-port needs Kubernetes mode or certificate files; cert and key go together', () => {
  assert.equal(parseConfig(['--kubernetes', '--webhook-port', '9443'], {}).webhookPort, 9443);
  assert.deepEqual(parseConfig([], { LANEWAY_WEBHOOK_PORT: '9443', LANEWAY_WEBHOOK_CERT: '/c', LANEWAY_WEBHOOK_KEY: '/k' }).webhookCert, '/c');
  assert.throws(() => parseConfig(['--webhook-port', '9443'], {}), /--webhook-port needs --kubernetes \(a CA shared through a Secret\) or both --webhook-cert and --webhook-key/);
  assert.throws(() => parseConfig(['--kubernetes', '--webhook-cert', '/c'], {}), /--webhook-cert and --webhook-key go together/);
  assert.equal(parseConfig(['--inject-proxy-image', 'envoy:x'], {}).injectProxyImage, 'envoy:x');
});
