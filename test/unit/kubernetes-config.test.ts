// Kubernetes mode is opt-in: a bare --kubernetes flag or LANEWAY_KUBERNETES=1, with an optional
// kubeconfig and namespace.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../../control-plane/src/runtime/config.js';

describe('kubernetes mode options', () => {
  test('off by default', () => {
    assert.equal(parseConfig([], {}).kubernetes, undefined);
  });

  test('--kubernetes takes no value; the next flag is still read', () => {
    const config = parseConfig(['--kubernetes', '--kubeconfig', '/k/config', '--kubernetes-namespace', 'shop'], {});
    assert.equal(config.kubernetes, true);
    assert.equal(config.kubeconfig, '/k/config');
    assert.equal(config.kubernetesNamespace, 'shop');
  });

  test('from the environment, and a flag beats it', () => {
    assert.equal(parseConfig([], { LANEWAY_KUBERNETES: '1' }).kubernetes, true);
    assert.equal(parseConfig([], { LANEWAY_KUBERNETES: 'false' }).kubernetes, false);
    assert.equal(parseConfig(['--kubernetes=false'], { LANEWAY_KUBERNETES: 'true' }).kubernetes, false);
  });

  test('a value that is not a boolean is refused, naming where it came from', () => {
    assert.throws(() => parseConfig([], { LANEWAY_KUBERNETES: 'maybe' }), (err: Error) => err instanceof ConfigError && /LANEWAY_KUBERNETES: "maybe" is not a boolean/.test(err.message));
  });
});
