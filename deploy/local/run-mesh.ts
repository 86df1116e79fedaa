// `npm run mesh`: the demo mesh as local processes with the real envoy, until Ctrl-C.
import { resolve } from 'node:path';
import { LocalMesh } from './mesh.js';

const workDir = resolve(process.env.LANEWAY_MESH_DIR ?? '.laneway-mesh');
const mesh = new LocalMesh({ workDir, ports: 'fixed', ingressDomain: 'lanes.localhost' });

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

Press Ctrl-C to stop everything.`);
