import { benchState } from './test/bench/topology.js';
import { encodeResources, translateProxy } from './control-plane/src/translate/index.js';
const state = benchState({ services: 500, lanes: 1000 });
const t = performance.now();
for (let i = 0; i < 40; i++) translateProxy(state, { kind: 'sidecar', service: `svc-${String(i).padStart(4, '0')}`, listenerAddress: '127.0.0.1', listenerPort: 15001 });
console.log('ms/group', (performance.now() - t) / 40);
