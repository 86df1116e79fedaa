// One /v1/lanes route set, two lane backends: the same requests to an API over the embedded store
// and to one over Lane objects in a real kube-apiserver get the same answers, versions and times
// aside (each backend has its own). Where they differ by design (a Kubernetes lane's endpoints are
// its pods), the Kubernetes answer is pinned on its own.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { waitFor } from '../../deploy/local/processes.js';
import { kubernetesLaneBackend } from '../../control-plane/src/api/lane-backend-kubernetes.js';
import { buildApi } from '../../control-plane/src/api/server.js';
import { withKubernetes } from '../../control-plane/src/sources/kubernetes/index.js';
import { KubeLaneWriter } from '../../control-plane/src/sources/kubernetes/lane-writer.js';
import { loadKubeConfig, startKubernetesSource, type KubernetesSource } from '../../control-plane/src/sources/kubernetes/watch.js';
import { mergeSources } from '../../control-plane/src/sources/merge.js';
import { FileStore } from '../../control-plane/src/sources/store.js';
import { KubeApiServer } from '../support/kube-apiserver.js';
import { KubeMesh, NS } from '../support/kube-mesh.js';

type Answer = { status: number; etag: string | null; body: any };
type Request = [method: string, path: string, body?: unknown, headers?: Record<string, string>];

// Whole seconds: expiry times are written to the second, and both APIs must compute the same ones.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const logger = pino({ level: 'silent' });

async function call(app: FastifyInstance, [method, url, body, headers = {}]: Request): Promise<Answer> {
  const res = await app.inject({ method: method as 'GET', url, headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers }, ...(body !== undefined && { payload: JSON.stringify(body) }) });
  return { status: res.statusCode, etag: (res.headers.etag as string | undefined) ?? null, body: res.body ? JSON.parse(res.body) : undefined };
}

/** The answer without what each backend sets its own way: versions (and ETags) and times. */
function comparable({ status, body }: Answer): { status: number; body: unknown } {
  const strip = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(/resourceVersion (is )?\d+/g, 'resourceVersion $1N');
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null) return value;
    const kept = Object.entries(value).filter(([key]) => !['resourceVersion', 'createdAt', 'updatedAt'].includes(key));
    return Object.fromEntries(kept.map(([key, v]) => [key, strip(v)]));
  };
  return { status, body: strip(body) };
}

describe('the lane API over the store and over Lane objects', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-lane-backends-'));
  let kube: KubeApiServer;
  let source: KubernetesSource;
  let storeApi: FastifyInstance;
  let kubeApi: FastifyInstance;

  before(async () => {
    kube = await KubeApiServer.start();
    await new KubeMesh(kube, workDir).installCrd();
    const store = await FileStore.open(join(workDir, 'store'), { now: () => NOW });
    storeApi = buildApi({ store, getState: () => store.state(), logger, now: () => NOW });
    const kubeconfig = kube.kubeconfig(NS);
    source = await startKubernetesSource({ kubeconfig, namespace: NS, logger, onChange: () => {} });
    // As in the control plane: the store (empty here) under the cluster's definitions.
    const empty = await FileStore.open(join(workDir, 'kube-store'));
    const served = () => mergeSources(empty.state(), withKubernetes({ services: {}, lanes: {} }, source.definitions())).state;
    const lanes = kubernetesLaneBackend({ writer: new KubeLaneWriter(loadKubeConfig(kubeconfig), NS), laneObject: source.laneObject, getState: served });
    kubeApi = buildApi({ store: empty, getState: served, logger, now: () => NOW, kubernetes: true, definedElsewhere: (kind) => kind !== 'settings', lanes });
  });

  after(async () => {
    await storeApi?.close();
    await kubeApi?.close();
    await source?.close();
    await kube?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Kubernetes answers a write before its watch has seen it: wait until this replica serves what was written. */
  async function settled([method, path]: Request, answer: Answer): Promise<void> {
    const name = /^\/v1\/lanes\/([^/]+)/.exec(path)?.[1];
    if (method === 'GET' || answer.status >= 300 || !name) return;
    const written = Number(answer.body.resourceVersion);
    await waitFor(`${method} ${path} to be served`, async () => {
      const shown = await call(kubeApi, ['GET', `/v1/lanes/${name}`]);
      return method === 'DELETE' ? shown.status === 404 : shown.status === 200 && Number(shown.body.resourceVersion) >= written;
    }, 10000, 20);
  }

  async function both(request: Request): Promise<{ store: Answer; kube: Answer }> {
    const store = await call(storeApi, request);
    const kubeAnswer = await call(kubeApi, request);
    await settled(request, kubeAnswer);
    assert.deepEqual(comparable(kubeAnswer), comparable(store), `${request[0]} ${request[1]}`);
    for (const answer of [store, kubeAnswer]) {
      if (answer.status < 300 && request[0] !== 'DELETE' && answer.body?.resourceVersion) assert.equal(answer.etag, `"${answer.body.resourceVersion}"`);
    }
    return { store, kube: kubeAnswer };
  }

  test('creates, conflicts, validation, merge patch, preconditions, renew, reads and deletes agree', async () => {
    const created = await both(['PUT', '/v1/lanes/feature-x', { owner: 'ana', description: 'orders under test', ttl: '2h' }]);
    assert.equal(created.store.status, 201);
    assert.deepEqual(comparable(created.store).body, {
      name: 'feature-x', services: {}, owner: 'ana', description: 'orders under test', expiresAt: new Date(NOW.getTime() + 7200_000).toISOString().replace('.000Z', 'Z'), ttl: '2h', expiresInSeconds: 7200,
    });
    assert.equal((await both(['PUT', '/v1/lanes/feature-x', { owner: 'ana', description: 'orders under test', ttl: '2h' }])).store.status, 200);
    const taken = await both(['POST', '/v1/lanes', { name: 'feature-x' }]);
    assert.deepEqual(taken.store.body, {
      error: 'conflict', message: 'lane "feature-x" already exists; PUT /v1/lanes/feature-x replaces it', details: [{ path: 'lanes/feature-x', reason: 'already exists' }],
    });
    assert.equal((await both(['PUT', '/v1/lanes/feature-y', { fallback: 'feature-x', fallbackOnUnhealthy: true }])).store.status, 201);
    const dangling = await both(['PUT', '/v1/lanes/feature-z', { fallback: 'missing-lane' }]);
    assert.deepEqual(dangling.store.body.details, [{ path: 'lanes/feature-z/fallback', reason: 'lane "missing-lane" does not exist' }]);
    const cycle = await both(['PUT', '/v1/lanes/feature-x', { fallback: 'feature-y', owner: 'ana' }]);
    assert.equal(cycle.store.body.message, 'lanes/feature-x/fallback: fallback cycle feature-x -> feature-y -> feature-x');
    const held = await both(['DELETE', '/v1/lanes/feature-x']);
    assert.deepEqual(held.store.body, {
      error: 'conflict', message: 'lane "feature-x" is the fallback of lane "feature-y"; change their fallback first',
      details: [{ path: 'lanes/feature-y/fallback', reason: 'lane "feature-y" falls back to "feature-x"' }],
    });
    const patched = await both(['PATCH', '/v1/lanes/feature-y', { description: 'patched', fallbackOnUnhealthy: null }]);
    assert.deepEqual(comparable(patched.store).body, { name: 'feature-y', fallback: 'feature-x', services: {}, description: 'patched' });
    assert.equal((await both(['PUT', '/v1/lanes/feature-y', {}, { 'if-match': '"1"' }])).store.status, 412);
    assert.equal((await both(['PUT', '/v1/lanes/feature-y', {}, { 'if-none-match': '*' }])).store.status, 412);
    assert.equal((await both(['POST', '/v1/lanes/feature-x/renew', { ttl: '1h' }])).store.body.expiresInSeconds, 3600);
    assert.equal((await both(['POST', '/v1/lanes/feature-y/renew', {}])).store.status, 422);
    assert.deepEqual((await both(['GET', '/v1/lanes'])).store.body.items.map((l: { name: string }) => l.name), ['feature-x', 'feature-y']);
    assert.deepEqual((await both(['GET', '/v1/lanes?owner=ana'])).store.body.items.map((l: { name: string }) => l.name), ['feature-x']);
    assert.equal((await both(['GET', '/v1/lanes/nope'])).store.status, 404);
    assert.equal((await both(['DELETE', '/v1/lanes/nope'])).store.status, 404);
    assert.equal((await both(['DELETE', '/v1/lanes/feature-y'])).store.status, 200);
    assert.equal((await both(['DELETE', '/v1/lanes/feature-x'])).store.status, 200);
    assert.deepEqual((await both(['GET', '/v1/lanes'])).store.body, { items: [] });
  });

  test('GET, edit, PUT works on both: what GET shows is accepted back', async () => {
    await both(['PUT', '/v1/lanes/edit-me', { owner: 'ana', ttl: '3h' }]);
    const { store, kube: shown } = await both(['GET', '/v1/lanes/edit-me']);
    for (const [app, view] of [[storeApi, store], [kubeApi, shown]] as const) {
      const { resourceVersion: _v, ...edited } = view.body;
      const put = await call(app, ['PUT', '/v1/lanes/edit-me', { ...edited, description: 'edited' }]);
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual([put.body.owner, put.body.ttl, put.body.expiresAt, put.body.description], [view.body.owner, '3h', view.body.expiresAt, 'edited']);
    }
  });

  test('Kubernetes mode refuses what a Lane object cannot hold, naming the field and the way to do it', async () => {
    await both(['PUT', '/v1/lanes/pods-only', {}]);
    const override = await call(kubeApi, ['PUT', '/v1/lanes/pods-only/services/orders', { endpoints: ['10.0.0.1:8080'] }]);
    assert.deepEqual([override.status, override.body.details], [400, [{ path: 'lanes/pods-only/services', reason: 'in Kubernetes mode a lane\'s endpoints are its pods: label them laneway.dev/lane=pods-only instead of listing services here' }]]);
    const labelled = await call(kubeApi, ['PATCH', '/v1/lanes/pods-only', { labels: { team: 'a' } }]);
    assert.deepEqual([labelled.status, labelled.body.details], [400, [{ path: 'lanes/pods-only/labels', reason: 'labels are not stored on Lane objects in Kubernetes mode; use kubectl label lane' }]]);
  });
});
