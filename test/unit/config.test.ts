import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../control-plane/src/runtime/config.js';

test('defaults', () => {
  assert.deepEqual(parseConfig([], {}), { dataDir: './data', apiPort: 8080, xdsPort: 18000, host: '127.0.0.1', logLevel: 'info' });
});

test('flags beat environment, environment beats defaults', () => {
  const env = { LANEWAY_API_PORT: '9000', LANEWAY_XDS_PORT: '19000', LANEWAY_DATA_DIR: '/env/data', LANEWAY_CONFIG_DIR: '/env/conf', LANEWAY_HOST: '0.0.0.0' };
  assert.deepEqual(parseConfig(['--api-port', '9100', '--config-dir=/flag/conf'], env), {
    dataDir: '/env/data', apiPort: 9100, xdsPort: 19000, host: '0.0.0.0', configDir: '/flag/conf', logLevel: 'info',
  });
});

const bad: Array<[string[], Record<string, string>, RegExp]> = [
  [['--api-port', 'eighty'], {}, /--api-port: "eighty" is not a port/],
  [['--xds-port', '70000'], {}, /--xds-port: "70000" is not a port/],
  [[], { LANEWAY_API_PORT: '-1' }, /LANEWAY_API_PORT: "-1" is not a port/],
  [['--colour', 'red'], {}, /unknown option --colour/],
  [['--data-dir'], {}, /--data-dir needs a value/],
  [['--host='], {}, /--host: must not be empty/],
];
for (const [argv, env, message] of bad) {
  test(`refuses ${JSON.stringify(argv)} ${JSON.stringify(env)}`, () => {
    assert.throws(() => parseConfig(argv, env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  });
}
