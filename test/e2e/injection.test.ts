// Sidecar injection with a real kube-apiserver calling the control plane's webhook over TLS: the
// MutatingWebhookConfiguration is deploy/kubernetes/webhook.yaml with its service replaced by a URL
// on loopback; its caBundle is what the control plane wrote. Two replicas share one CA.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import { createCa } from '../../control-plane/src/webhook/certificates.js';
import { KubeApiServer } from '../support/kube-apiserver.js';
import { CRD_FILE } from '../support/kube-mesh.js';

const HOST = '127.0.0.1';
const MAIN = fileURLToPath(new URL('../../control-plane/src/main.ts', import.meta.url));
const SIDECAR_DIR = fileURLToPath(new URL('../../deploy/kubernetes/sidecar', import.meta.url));
const WEBHOOK_YAML = fileURLToPath(new URL('../../deploy/kubernetes/webhook.yaml', import.meta.url));
const NS = 'shop';
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/laneway-sidecar-injector';

interface Replica { apiPort: number; xdsPort: number; webhookPort: number; process: Managed }

describe('sidecar injection through a real kube-apiserver', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-inject-e2e-'));
  let kube: KubeApiServer;
  let a: Replica;
  let b: Replica;
  let caBundle = '';
  // A CA issued 8 of its 10 years ago: due for rotation when the first replica starts.
  const oldCa = createCa(new Date(Date.now() - 8 * 365 * 24 * 3600 * 1000));

  const api = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await kube.request(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const createPod = (namespace: string, name: string, metadata: Record<string, unknown> = {}) =>
    api('POST', `/api/v1/namespaces/${namespace}/pods`, { metadata: { name, ...metadata }, spec: { containers: [{ name: 'app', image: 'registry.example/orders:1' }] } });

  const startReplica = async (name: string): Promise<Replica> => {
    const [apiPort, xdsPort, webhookPort] = [await freePort(HOST), await freePort(HOST), await freePort(HOST)];
    const args = ['--import', 'tsx', MAIN, '--kubernetes', '--kubeconfig', kube.kubeconfig(), '--kubernetes-namespace', NS,
      '--api-port', String(apiPort), '--xds-port', String(xdsPort), '--host', HOST, '--data-dir', join(workDir, `data-${name}`),
      '--webhook-port', String(webhookPort), '--webhook-hosts', HOST, '--inject-proxy-image', 'envoyproxy/envoy:v1.40.0'];
    const process_ = startProcess(name, process.execPath, args, join(workDir, `${name}.log`));
    await waitFor(`replica ${name} to be ready`, async () => (await fetch(`http://${HOST}:${apiPort}/readyz`)).ok, 30000);
    return { apiPort, xdsPort, webhookPort, process: process_ };
  };

  /** The webhook configuration as shipped, pointed at `port` on loopback. */
  const webhookConfig = (port: number) => {
    const config = parseAllDocuments(readFileSync(WEBHOOK_YAML, 'utf8')).map((d) => d.toJS()).find((d) => d.kind === 'MutatingWebhookConfiguration');
    for (const w of config.webhooks) w.clientConfig = { url: `https://${HOST}:${port}${w.clientConfig.service.path}` };
    return config;
  };

  /** POST straight to replica A's webhook, trusting the caBundle the control plane wrote. */
  const post = (path: string, body: string) => new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request({ host: HOST, port: a.webhookPort, path, method: 'POST', ca: Buffer.from(caBundle, 'base64').toString(), headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });

  const metric = async (replica: Replica, pattern: RegExp) => (await (await fetch(`http://${HOST}:${replica.apiPort}/metrics`)).text()).match(pattern)?.[1];

  before(async () => {
    kube = await KubeApiServer.start();
    const crd = parseAllDocuments(readFileSync(CRD_FILE, 'utf8'))[0]!.toJS();
    await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    await api('POST', '/api/v1/namespaces', { metadata: { name: NS, labels: { 'laneway.dev/inject': 'enabled' } } });
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'other' } });
    await waitFor('the Lane CRD to be established', async () => ((await api('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/lanes.laneway.dev')).status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True'), 20000, 100);
    await api('POST', `/apis/laneway.dev/v1alpha1/namespaces/${NS}/lanes`, { apiVersion: 'laneway.dev/v1alpha1', kind: 'Lane', metadata: { name: 'feature-x' }, spec: { owner: 'e2e' } });
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    await api('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: 'laneway-webhook-ca' }, data: { 'ca.crt': b64(oldCa.cert), 'ca.key': b64(oldCa.key) } });
    a = await startReplica('replica-a');
    await api('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', webhookConfig(a.webhookPort));
    await waitFor('the control plane to write the caBundle', async () => {
      caBundle = (await api('GET', MWC)).webhooks[0].clientConfig.caBundle ?? '';
      return caBundle !== '';
    }, 70000, 200);
    b = await startReplica('replica-b');
  });

  after(async () => {
    await a?.process.stop();
    await b?.process.stop();
    await kube?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('the CA due for rotation was replaced, the old one kept in the bundle; every replica serves a certificate from the new CA', async () => {
    const config = await api('GET', MWC);
    assert.deepEqual(config.webhooks.map((w: any) => w.clientConfig.caBundle), [caBundle, caBundle]);
    const ca = Buffer.from(caBundle, 'base64').toString();
    const secret = await api('GET', `/api/v1/namespaces/${NS}/secrets/laneway-webhook-ca`);
    const newCa = Buffer.from(secret.data['ca.crt'], 'base64').toString();
    assert.notEqual(newCa, oldCa.cert);
    assert.equal(Buffer.from(secret.data['previous-ca.crt'], 'base64').toString(), oldCa.cert);
    assert.equal(ca, newCa + oldCa.cert, 'caBundle: the new CA, then the old one until it expires');
    for (const replica of [a, b]) {
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = connect({ host: HOST, port: replica.webhookPort, ca }, () => { resolve(socket.authorized); socket.end(); });
        socket.on('error', reject);
      });
      assert.equal(authorized, true, `replica on ${replica.webhookPort} presents a certificate the caBundle trusts`);
    }
  });

  test('a pod in an opted-in namespace comes back with the capture init container and the native sidecar', async () => {
    const pod = await createPod(NS, 'orders-0', { labels: { app: 'orders', 'laneway.dev/lane': 'feature-x' } });
    assert.deepEqual(pod.spec.initContainers.map((c: any) => [c.name, c.restartPolicy ?? null]), [['laneway-capture', null], ['laneway-proxy', 'Always']]);
    const sidecar = pod.spec.initContainers[1];
    assert.equal(sidecar.image, 'envoyproxy/envoy:v1.40.0');
    const env = Object.fromEntries(sidecar.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
    assert.deepEqual([env.NODE_ID, env.SERVICE, env.LANE, env.XDS_HOST], ['metadata.name', 'orders', 'feature-x', `laneway.${NS}.svc`]);
    assert.equal(sidecar.securityContext.runAsUser, 1337);
    assert.deepEqual(pod.spec.initContainers[0].securityContext.capabilities, { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] });
    assert.deepEqual(pod.spec.volumes.filter((v: any) => v.name.startsWith('laneway-')).map((v: any) => v.name), ['laneway-sidecar-bootstrap', 'laneway-proxy-work']);
    assert.equal(pod.metadata.annotations['laneway.dev/injected'], 'orders/feature-x; capture on');
    assert.deepEqual(pod.spec.containers.map((c: any) => c.name), ['app']);
  });

  test('unchanged: a pod that opts out, a pod in another namespace, the control plane\'s own pod; a pod of another namespace that opts in is injected', async () => {
    const unchanged = [
      await createPod(NS, 'opted-out', { labels: { app: 'orders' }, annotations: { 'laneway.dev/inject': 'false' } }),
      await createPod('other', 'elsewhere', { labels: { app: 'orders' } }),
      await createPod(NS, 'laneway-0', { labels: { 'app.kubernetes.io/name': 'laneway' } }),
    ];
    for (const pod of unchanged) {
      assert.equal(pod.spec.initContainers, undefined, pod.metadata.name);
      assert.equal(pod.metadata.annotations?.['laneway.dev/injected'], undefined, pod.metadata.name);
      assert.deepEqual(pod.spec.containers.map((c: any) => c.name), ['app']);
    }
    const optedIn = await createPod('other', 'asked', { labels: { app: 'payments' }, annotations: { 'laneway.dev/inject': 'true', 'laneway.dev/capture': 'false' } });
    assert.deepEqual(optedIn.spec.initContainers.map((c: any) => c.name), ['laneway-proxy']);
  });

  test('the same pod spec twice gets the same patch (a 100 kB annotation included); an injected pod is not patched again', async () => {
    const template = { generateName: 'twin-', labels: { app: 'orders' }, annotations: { 'laneway.dev/exclude-outbound-ports': '5432', note: 'y'.repeat(100_000) } };
    const first = await createPod(NS, '', template);
    const injectedPart = (p: any) => ({ init: p.spec.initContainers, volumes: p.spec.volumes, annotations: p.metadata.annotations });
    const second = await createPod(NS, '', template);
    assert.notEqual(first.metadata.name, second.metadata.name);
    assert.deepEqual(injectedPart(second), injectedPart(first));
    assert.equal(first.spec.initContainers[0].env.find((e: any) => e.name === 'LANEWAY_EXCLUDE_PORTS').value, '5432');
    // Injected pods sent again: allowed, no patch.
    const again = await post('/inject/namespace-enabled', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'again', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: NS, object: first } }));
    assert.deepEqual(again.body.response, { uid: 'again', allowed: true, auditAnnotations: { injection: 'skipped: already-injected' } });
  });

  test('the injected sidecar, run as the patch says (entrypoint and bootstrap of ConfigMap laneway-sidecar, env), connects and passes its startup probe', async (t) => {
    const pod = await api('GET', `/api/v1/namespaces/${NS}/pods/orders-0`);
    const sidecar = pod.spec.initContainers.find((c: any) => c.name === 'laneway-proxy');
    // Pod-local ports (15001, 19001, 15006) are shared on this machine: free ones instead, same roles.
    const ports: Record<string, number> = { 15001: await freePort(HOST), 19001: await freePort(HOST), 15006: await freePort(HOST) };
    const local = (arg: string) => arg.replace('/laneway/', `${SIDECAR_DIR}/`).replace(/\b(15001|19001|15006)\b/g, (p) => String(ports[p]));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const e of sidecar.env) env[e.name] = e.value ?? pod.metadata.name;
    Object.assign(env, { ADMIN_PORT: String(ports[19001]), LISTENER_PORT: String(ports[15001]), XDS_HOST: HOST, XDS_PORT: String(b.xdsPort), ENVOY_CONFIG_OUT: join(workDir, 'orders-0.envoy.yaml') });
    const envoy = startProcess('orders-0-sidecar', sidecar.command[0], sidecar.command.slice(1).map(local), join(workDir, 'orders-0-sidecar.log'), env);
    try {
      const [bash, ...probe] = sidecar.startupProbe.exec.command.map(local);
      const started = performance.now();
      await waitFor('the startup probe to pass', () => new Promise((resolve) => execFile(bash, probe, (err) => resolve(!err))), 60000, 250);
      const proxies = (await (await fetch(`http://${HOST}:${b.apiPort}/v1/proxies`)).json()) as any;
      const list: any[] = Array.isArray(proxies) ? proxies : (proxies.proxies ?? proxies.items ?? []);
      assert.ok(list.some((p) => p.id === 'orders-0'), `node id = pod name: ${JSON.stringify(list.map((p) => p.id))}`);
      const info = (await (await fetch(`http://${HOST}:${ports[19001]}/server_info`)).json()) as { node: { metadata: Record<string, string> } };
      const { 'laneway.service': service, 'laneway.lane': lane, 'laneway.capture_port': capture } = info.node.metadata;
      assert.deepEqual({ service, lane, capture }, { service: 'orders', lane: 'feature-x', capture: String(ports[15006]) });
      t.diagnostic(`sidecar ready (startup probe passed) ${(performance.now() - started).toFixed(0)} ms after start`);
    } finally {
      await envoy.stop();
    }
  });

  test('bad inputs sent to the webhook get a clear refusal or an allowed answer with no patch', async () => {
    const malformed = await post('/inject/namespace-enabled', '{"kind": "AdmissionReview", ');
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.message, /not JSON/);
    const configMap = await post('/inject/namespace-enabled', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'cm', kind: { group: '', version: 'v1', kind: 'ConfigMap' }, operation: 'CREATE', namespace: NS, object: { metadata: { name: 'x' } } } }));
    assert.deepEqual(configMap.body.response, { uid: 'cm', allowed: true });
    const huge = await post('/inject/namespace-enabled', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'big', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: NS, object: { metadata: { annotations: { a: 'z'.repeat(4 << 20) } } } } }));
    assert.equal(huge.status, 413);
    assert.match(huge.body.message, /over 3145728 bytes/);
    // Still serving after all that.
    assert.ok((await createPod(NS, 'after-bad-input', { labels: { app: 'orders' } })).spec.initContainers);
  });

  test('with the webhook stopped, pods are still created, without the sidecar, and counted as uninjected (metric, log, /v1/injection, Lane status)', async (t) => {
    await waitFor('replica-b to count no uninjected pod', async () => (await metric(b, /laneway_pods_uninjected\{reason="webhook-not-called"\} (\d+)/)) === '0', 10000, 200);
    const injected = await metric(a, /laneway_webhook_admissions_total\{result="injected",reason=""\} (\d+)/);
    await a.process.stop();
    const started = performance.now();
    const pod = await createPod(NS, 'while-down', { labels: { app: 'orders', 'laneway.dev/lane': 'feature-x' } });
    const ms = performance.now() - started;
    assert.equal(pod.spec.initContainers, undefined);
    await waitFor('replica-b to count the pod', async () => (await metric(b, /laneway_pods_uninjected\{reason="webhook-not-called"\} (\d+)/)) === '1', 10000, 200);
    const shown = (await (await fetch(`http://${HOST}:${b.apiPort}/v1/injection`)).json()) as { namespace: string; webhook: boolean; uninjected: Array<{ pod: string; reason: string }> };
    assert.deepEqual({ ...shown, uninjected: shown.uninjected.map(({ pod, reason }) => ({ pod, reason })) }, { namespace: NS, webhook: true, uninjected: [{ pod: 'while-down', reason: 'webhook-not-called' }] });
    assert.match(readFileSync(join(workDir, 'replica-b.log'), 'utf8'), /"pod":"while-down","lane":"feature-x","reason":"webhook-not-called".*pod runs without the sidecar: webhook-not-called/);
    // Replica B writes Lane status once replica A's Lease has run out (15 s).
    let conditions: any[] = [];
    await waitFor('the Lane status to name the pod', async () => {
      conditions = (await api('GET', `/apis/laneway.dev/v1alpha1/namespaces/${NS}/lanes/feature-x`)).status?.conditions ?? [];
      return conditions.some((c) => c.type === 'SidecarsInjected');
    }, 40000, 250);
    const { lastTransitionTime: _at, ...condition } = conditions.find((c) => c.type === 'SidecarsInjected');
    assert.deepEqual(condition, { type: 'SidecarsInjected', status: 'False', reason: 'PodsWithoutSidecar', message: '1 pod(s) of this lane run without the Laneway sidecar: while-down (webhook-not-called) (GET /v1/injection says why)' });
    t.diagnostic(`replica-a injected ${injected} pods; with it down, a pod was admitted uninjected in ${ms.toFixed(0)} ms`);
  });
});
