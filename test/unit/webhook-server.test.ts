// The webhook's HTTPS endpoint with a certificate from its own CA, and what it answers to good and
// bad input: never a crash, an allowed unpatched answer or a clear refusal.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createCa, issueServingCert, needsRenewal } from '../../control-plane/src/webhook/certificates.js';
import { injectionMetrics } from '../../control-plane/src/webhook/metrics.js';
import { ServingCertificates } from '../../control-plane/src/webhook/serving-cert.js';
import { startWebhookServer, type RunningWebhook } from '../../control-plane/src/webhook/server.js';
import { DEFAULT_INJECTION_SETTINGS } from '../../control-plane/src/webhook/settings.js';

const ca = createCa();
const serving = issueServingCert(ca, ['laneway-webhook.laneway.svc', '127.0.0.1']);

function post(port: number, path: string, body: string | Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', ca: ca.cert, servername: undefined, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const podReview = (object: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
  request: { uid: 'u-1', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'CREATE', namespace: 'shop', object, ...extra },
});

describe('certificates', () => {
  test('the serving certificate is signed by the CA, names its hosts, serves TLS only; renewal after two thirds of its life', () => {
    const cert = new X509Certificate(serving.cert);
    assert.ok(cert.verify(new X509Certificate(ca.cert).publicKey));
    assert.equal(cert.subjectAltName, 'DNS:laneway-webhook.laneway.svc, IP Address:127.0.0.1');
    assert.equal(new X509Certificate(ca.cert).ca, true);
    assert.equal(cert.ca, false);
    assert.equal(needsRenewal(serving.cert), false);
    assert.equal(needsRenewal(serving.cert, new Date(Date.now() + 61 * 24 * 3600 * 1000)), true);
  });
});

describe('webhook server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-webhook-'));
  const metrics = injectionMetrics();
  const registry = new Registry();
  let webhook: RunningWebhook;

  before(async () => {
    writeFileSync(join(dir, 'tls.crt'), serving.cert);
    writeFileSync(join(dir, 'tls.key'), serving.key);
    registry.registerMetric(metrics.admissions);
    const certificates = new ServingCertificates({ kind: 'files', certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') }, pino({ level: 'silent' }));
    webhook = await startWebhookServer({ host: '127.0.0.1', port: 0, settings: DEFAULT_INJECTION_SETTINGS, certificates, metrics, logger: pino({ level: 'silent' }) });
  });

  after(async () => {
    await webhook.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a pod in an opted-in namespace is patched; the same review twice gives the same bytes', async () => {
    const review = podReview({ metadata: { name: 'orders-0', labels: { app: 'orders' } }, spec: { containers: [{ name: 'app', image: 'x' }] } });
    const first = await post(webhook.port, '/inject/namespace-enabled', review);
    assert.equal(first.status, 200);
    assert.equal(first.body.response.uid, 'u-1');
    assert.equal(first.body.response.allowed, true);
    assert.equal(first.body.response.patchType, 'JSONPatch');
    const ops = JSON.parse(Buffer.from(first.body.response.patch, 'base64').toString()) as Array<{ path: string }>;
    assert.deepEqual(ops.map((o) => o.path), ['/spec/initContainers', '/spec/volumes', '/metadata/annotations']);
    assert.deepEqual(await post(webhook.port, '/inject/namespace-enabled', review), first);
    const plain = await post(webhook.port, '/inject', review);
    assert.deepEqual(plain.body.response, { uid: 'u-1', allowed: true, auditAnnotations: { injection: 'skipped: not-opted-in' } });
  });

  const refusals: Array<[string, string, string | Buffer, number, RegExp]> = [
    ['malformed JSON', '/inject', '{"apiVersion": ', 400, /not JSON/],
    ['a JSON array', '/inject', '[1,2]', 400, /not a JSON object/],
    ['not an AdmissionReview', '/inject', '{"kind":"Pod","apiVersion":"v1"}', 400, /expected kind AdmissionReview/],
    ['no request uid', '/inject', '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{}}', 400, /request.uid: missing/],
    ['over 3 MiB', '/inject', Buffer.alloc(4 * 1024 * 1024, 0x20), 413, /over 3145728 bytes/],
    ['a pod whose init containers are not a list', '/inject/namespace-enabled', podReview({ metadata: { labels: { app: 'a' } }, spec: { initContainers: { name: 'x' } } }), 400, /request.object: spec.containers and spec.initContainers must be lists/],
    ['a pod whose labels are not strings', '/inject/namespace-enabled', podReview({ metadata: { labels: { app: 7 } } }), 400, /request.object: metadata.labels and metadata.annotations must map strings to strings/],
    ['a pod whose metadata is a string', '/inject/namespace-enabled', podReview({ metadata: 'x' }), 400, /request.object: metadata is not an object/],
  ];
  for (const [what, path, body, status, message] of refusals) {
    test(`refused: ${what} -> ${status}`, async () => {
      const res = await post(webhook.port, path, body);
      assert.equal(res.status, status);
      assert.match(res.body.message, message);
    });
  }

  test('allowed untouched: a Service, a pod update, a pod whose object is not an object, huge annotations on a pod that did not opt in', async () => {
    const answers = await Promise.all([
      post(webhook.port, '/inject', podReview({ metadata: { name: 's' } }, { kind: { group: '', version: 'v1', kind: 'Service' }, resource: { group: '', version: 'v1', resource: 'services' } })),
      post(webhook.port, '/inject/namespace-enabled', podReview({ metadata: { name: 'p', labels: { app: 'a' } } }, { operation: 'UPDATE' })),
      post(webhook.port, '/inject/namespace-enabled', podReview('not a pod')),
      post(webhook.port, '/inject', podReview({ metadata: { name: 'big', labels: { app: 'a' }, annotations: { note: 'x'.repeat(512 * 1024) } }, spec: { containers: [] } })),
    ]);
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.equal(a.body.response.allowed, true);
      assert.equal(a.body.response.patch, undefined);
    }
  });

  test('metrics count injected, skipped by reason, and errors', async () => {
    const text = await registry.metrics();
    assert.match(text, /laneway_webhook_admissions_total\{result="injected",reason=""\} 2/);
    assert.match(text, /laneway_webhook_admissions_total\{result="skipped",reason="not-opted-in"\} 2/);
    assert.match(text, /laneway_webhook_admissions_total\{result="error",reason="bad-request"\} 8/);
    assert.match(text, /laneway_webhook_admissions_total\{result="skipped",reason="not-a-pod-create"\} 3/);
  });

  test('wrong path or method', async () => {
    assert.equal((await post(webhook.port, '/mutate', '{}')).status, 404);
  });
});

test('a webhook that cannot get its certificate does not stop the control plane: logged, retried, /v1/injection says it is not serving', async () => {
  const { startInjection } = await import('../../control-plane/src/runtime/webhook-wiring.js');
  const lines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
  const injection = await startInjection({ webhookPort: 0, webhookCert: '/nonexistent/tls.crt', webhookKey: '/nonexistent/tls.key', host: '127.0.0.1' } as never, logger, undefined, undefined);
  try {
    assert.equal(injection.webhookPort(), undefined);
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as { msg: string; err: string; retryInMs: number };
    assert.equal(line.msg, 'sidecar injection webhook not started; pods are created without the sidecar until it is');
    assert.match(line.err, /ENOENT.*\/nonexistent\/tls\.crt/);
    assert.equal(line.retryInMs, 30000);
  } finally {
    await injection.close();
  }
});
