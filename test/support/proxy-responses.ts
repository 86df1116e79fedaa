// Responses the control plane sent each connected proxy, per type, from GET /v1/proxies: for
// e2e tests that check how many responses a change cost.
import assert from 'node:assert/strict';
import type { LocalMesh } from '../../deploy/local/mesh.js';

export type ResponseCounts = Map<string, { CDS: number; EDS: number }>;
type ProxyList = Array<{ id: string; types: Record<string, { responsesSent: number; status: string }> }>;

async function proxies(mesh: LocalMesh): Promise<ProxyList> {
  return ((await mesh.api('GET', '/v1/proxies')).body as { items: ProxyList }).items;
}

const countsOf = (list: ProxyList): ResponseCounts =>
  new Map(list.map((p) => [p.id, { CDS: p.types['CDS']?.responsesSent ?? 0, EDS: p.types['EDS']?.responsesSent ?? 0 }]));

export async function responseCounts(mesh: LocalMesh): Promise<ResponseCounts> {
  return countsOf(await proxies(mesh));
}

/** Response counts once every proxy has ACKed what it was sent (fails after 5 s). */
export async function waitForSynced(mesh: LocalMesh): Promise<ResponseCounts> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const list = await proxies(mesh);
    const pending = list.filter((p) => Object.values(p.types).some((s) => s.status === 'STALE' || s.status === 'NACKED'));
    if (pending.length === 0) return countsOf(list);
    if (Date.now() > deadline) assert.fail(`not synced: ${JSON.stringify(pending)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A lane's new cluster costs each proxy that got it exactly one EDS response: its endpoints go out
 * with it, before Envoy asks, and Envoy's own request gets no second answer. (An endpoint response
 * Envoy had dropped would leave the cluster warming, and traffic to the lane would fail.)
 */
export function assertOneEndpointResponsePerNewCluster(before: ResponseCounts, after: ResponseCounts): void {
  const gotCluster = [...after.keys()].filter((id) => after.get(id)!.CDS > (before.get(id)?.CDS ?? 0));
  assert.ok(gotCluster.length > 0, 'some proxy got the lane cluster');
  for (const id of gotCluster) assert.equal(after.get(id)!.EDS - (before.get(id)?.EDS ?? 0), 1, `EDS responses to ${id}`);
}
