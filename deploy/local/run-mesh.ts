// `npm run mesh`: the demo mesh as local processes with the real envoy, until Ctrl-C.
import { resolve } from 'node:path';
import { DEMO_LEAKY_LANE } from '../demo/topology.js';
import { LocalMesh } from './mesh.js';

const workDir = resolve(process.env.LANEWAY_MESH_DIR ?? '.laneway-mesh');
// Hop records on: `laneway doctor` names services that drop the lane (docs/debugging.md).
const mesh = new LocalMesh({ workDir, ports: 'fixed', ingressDomain: 'lanes.localhost', hopRecords: true });
const LEAKY_LANE = DEMO_LEAKY_LANE.name;

/** A lane whose orders forwards traceparent but not the lane (DROP=lane): the bug laneway doctor finds. */
async function addLeakyLane(): Promise<void> {
  const leaky = await mesh.addInstance(DEMO_LEAKY_LANE.service, LEAKY_LANE, DEMO_LEAKY_LANE.drop);
  const put = await mesh.api('PUT', `/v1/lanes/${LEAKY_LANE}`, { services: { orders: mesh.endpointsOf(DEMO_LEAKY_LANE.service, LEAKY_LANE) }, description: 'demo lane: its orders drops the lane header (try laneway doctor)' });
  if (put.status >= 300) throw new Error(`control plane answered ${put.status}: ${JSON.stringify(put.body)} (app :${leaky.appPort})`);
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping the mesh...');
  await mesh.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  await mesh.startDemo();
  await addLeakyLane();
} catch (err) {
  console.error(`mesh failed to start: ${(err as Error).message}\nlogs: ${workDir}/logs`);
  await shutdown(1);
}

const rows = mesh.instances.map((i) => `  ${`${i.service}/${i.lane}`.padEnd(20)} app :${i.appPort}  sidecar :${i.sidecarPort}  admin :${i.adminPort}`);
console.log(`Laneway demo mesh is up (logs and data in ${workDir})

  control plane API  ${mesh.apiUrl}   (xDS on :${mesh.xdsPort})
  ingress            ${mesh.ingressUrl}   (admin :${mesh.ingress.adminPort})
${rows.join('\n')}

Try:
  curl -s ${mesh.ingressUrl}/                                  # every hop stable
  curl -s -H 'x-lane: feature-x' ${mesh.ingressUrl}/           # orders served by feature-x
  curl -s -H 'baggage: lane=feature-x' ${mesh.ingressUrl}/     # the same, from W3C baggage
  curl -s http://feature-x.lanes.localhost:${mesh.ingress.port}/          # the same, from the host
  curl -s -b laneway-lane=feature-x ${mesh.ingressUrl}/        # ... a cookie
  curl -s '${mesh.ingressUrl}/?lane=feature-x'                 # ... a query parameter

A lane that breaks halfway: orders/${LEAKY_LANE} does not forward the lane header, so payments
falls back to stable. Send a few requests, then ask which service drops the lane:
  for i in 1 2 3 4 5; do curl -s -H 'x-lane: ${LEAKY_LANE}' ${mesh.ingressUrl}/; echo; done
  LANEWAY_SERVER=${mesh.apiUrl} ./bin/laneway.js doctor     # after npm run build; or npx laneway doctor

Press Ctrl-C to stop everything.`);
