// The demo mesh in Kubernetes mode with a stable Deployment to fork (payments: one container "app"),
// for the fork benchmark and the fork status e2e test: a real kube-apiserver + etcd (no kubelet,
// no controller-manager), one control-plane replica, stable pods with real Envoy sidecars, a real
// ingress Envoy. Fork pods are made by the caller from the fork Deployment's template, as the
// ReplicaSet controller and a kubelet would, with the status the test wants.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { meshGet } from '../../deploy/local/client.js';
import { waitFor } from '../../deploy/local/processes.js';
import { KubeApiServer } from './kube-apiserver.js';
import { KubeMesh, NS } from './kube-mesh.js';

export const ALL_STABLE = 'frontend/stable orders/stable payments/stable';
export const DEPLOYMENTS = `/apis/apps/v1/namespaces/${NS}/deployments`;

export interface ForkMesh { kube: KubeApiServer; mesh: KubeMesh; api: string }

/** Services, the stable payments Deployment, one replica, stable pods and the ingress, routing stable. */
export async function startForkMesh(workDir: string): Promise<ForkMesh> {
  const kube = await KubeApiServer.start();
  let mesh: KubeMesh | undefined;
  try {
    mesh = await KubeMesh.withDemoServices(kube, workDir);
    // The stable workload lanes fork; its pod is made by addPod (no controller-manager).
    await mesh.api('POST', DEPLOYMENTS, {
      metadata: { name: 'payments', labels: { app: 'payments' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'payments' } }, template: { metadata: { labels: { app: 'payments' } }, spec: { containers: [{ name: 'app', image: 'registry.example/payments:1.0', ports: [{ containerPort: mesh.appPort }] }] } } },
    });
    const settings = join(workDir, 'settings');
    mkdirSync(settings);
    writeFileSync(join(settings, 'settings.yaml'), 'kind: Settings\nlaneHeader: x-lane\nservedByHeader: x-lane-served-by\nentryService: frontend\n');
    const replica = await mesh.startReplica('replica-a', settings);
    await mesh.addPod('frontend-0', 'frontend', 'stable', '127.0.0.11');
    await mesh.addPod('orders-0', 'orders', 'stable', '127.0.0.12');
    await mesh.addPod('payments-0', 'payments', 'stable', '127.0.0.14');
    await mesh.startIngress();
    const ingress = mesh.ingressUrl;
    await waitFor('the stable path through the ingress', async () => (await meshGet(ingress, {})).path === ALL_STABLE, 30000, 50);
    return { kube, mesh, api: `http://127.0.0.1:${replica.apiPort}` };
  } catch (err) {
    await mesh?.stop();
    await kube.stop();
    throw err;
  }
}

/** The fork Deployment of `lane`'s fork of payments, found by its labels; undefined until it exists. */
export async function forkDeployment(mesh: KubeMesh, lane: string): Promise<any> {
  const selector = encodeURIComponent(`laneway.dev/lane=${lane},laneway.dev/fork-of=payments`);
  return (await mesh.api('GET', `${DEPLOYMENTS}?labelSelector=${selector}`)).items[0];
}

/** A pod named `name` from the fork Deployment's template (labels and annotations as the ReplicaSet would copy them). */
export async function createForkPod(mesh: KubeMesh, deployment: any, name: string): Promise<void> {
  await mesh.api('POST', `/api/v1/namespaces/${NS}/pods`, { metadata: { ...deployment.spec.template.metadata, name }, spec: deployment.spec.template.spec });
}

/** Writes a pod's status through the status subresource, as a kubelet would. */
export async function setPodStatus(mesh: KubeMesh, name: string, status: Record<string, unknown>): Promise<void> {
  const pod = await mesh.api('GET', `/api/v1/namespaces/${NS}/pods/${name}`);
  await mesh.api('PUT', `/api/v1/namespaces/${NS}/pods/${name}/status`, { ...pod, status });
}

/** Running and Ready at `ip`, each container running its spec's image. */
export function readyPodStatus(containers: Array<{ name: string; image: string }>, ip: string): Record<string, unknown> {
  const containerStatuses = containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date().toISOString() } } }));
  return { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }], containerStatuses };
}
