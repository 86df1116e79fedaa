// The TLS plumbing without Envoy: files read and checked, a mismatched pair refused at start, and
// an xDS server with a certificate but no --client-ca that a TLS client without a certificate
// reaches (the mTLS cases run with a real Envoy in test/e2e/tls.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, credentials } from '@grpc/grpc-js';
import { pino } from 'pino';
import { TlsFiles, readTlsMaterial } from '../../control-plane/src/runtime/tls-files.js';
import { xdsServerCredentials } from '../../control-plane/src/runtime/tls-servers.js';
import { SnapshotCache } from '../../control-plane/src/xds/cache.js';
import { startXdsServer } from '../../control-plane/src/xds/server.js';
import { makeCa, makeLeaf } from '../support/test-certs.js';

describe('TLS servers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-tls-unit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = makeCa(dir, 'ca');
  const server = makeLeaf(dir, ca, 'server', 'server', ['laneway-xds']);
  const other = makeLeaf(dir, ca, 'other', 'server', ['laneway-xds']);

  test('a certificate with another certificate\'s key is refused, naming the files', () => {
    assert.throws(() => readTlsMaterial({ cert: server.cert, key: other.key }), (err: Error) =>
      err.message.startsWith(`TLS files ${server.cert}, ${other.key} are not usable: `));
    assert.throws(() => readTlsMaterial({ cert: join(dir, 'missing.crt'), key: server.key }), (err: Error) =>
      err.message.startsWith(`--tls-cert ${join(dir, 'missing.crt')}: ENOENT`));
  });

  test('xDS over TLS without --client-ca: a client that trusts the CA connects without a certificate of its own', async () => {
    const logger = pino({ level: 'silent' });
    const files = new TlsFiles({ cert: server.cert, key: server.key }, logger);
    const cache = new SnapshotCache();
    cache.setReady(true);
    const xds = await startXdsServer({ cache, logger, groupForNode: () => ({ group: 'g' }), credentials: xdsServerCredentials(files) }, '127.0.0.1', 0);
    const client = new Client(`127.0.0.1:${xds.port}`, credentials.createSsl(readFileSync(ca.cert)), { 'grpc.ssl_target_name_override': 'laneway-xds' });
    try {
      await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 5000, (err) => (err ? reject(err) : resolve())));
    } finally {
      client.close();
      await xds.close();
      files.close();
    }
  });
});
