// The envoy-configs/ templates render to bootstraps that the real envoy accepts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderBootstrap, renderTemplate } from '../../control-plane/src/envoy/bootstrap.js';

const envoy = process.env.LANEWAY_ENVOY_BIN ?? 'envoy';
const common = { LISTENER_ADDRESS: '127.0.0.1', LISTENER_PORT: 15001, ADMIN_PORT: 19001, XDS_HOST: '127.0.0.1', XDS_PORT: 18000 };

for (const [kind, vars] of [
  ['sidecar', { ...common, NODE_ID: 'orders-1', SERVICE: 'orders', LANE: 'stable' }],
  ['ingress', { ...common, NODE_ID: 'ingress' }],
] as const) {
  test(`${kind} bootstrap passes envoy --mode validate`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'laneway-bootstrap-'));
    try {
      const file = join(dir, `${kind}.yaml`);
      writeFileSync(file, renderBootstrap(kind, vars));
      const out = execFileSync(envoy, ['--mode', 'validate', '-c', file, '--disable-hot-restart'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.match(out, /OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a template variable left unset is an error naming it', () => {
  assert.throws(() => renderTemplate('a: ${XDS_HOST}:${XDS_PORT}', { XDS_HOST: 'h' }), /bootstrap template needs XDS_PORT/);
  assert.equal(renderTemplate('a: ${XDS_HOST}:${XDS_PORT}', { XDS_HOST: 'h', XDS_PORT: 1 }), 'a: h:1');
});
