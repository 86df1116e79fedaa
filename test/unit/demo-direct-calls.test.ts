// The demo app without a sidecar URL calls its callees by name, as an app does under transparent
// capture (the Kubernetes example): the request goes to <callee>:<calleePort> with Host <callee>.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { startDemoService, type DemoService } from '../../deploy/demo/service.js';

const started: DemoService[] = [];
after(async () => Promise.all(started.map((s) => s.close())));

function get(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test('no sidecar URL: the callee is called by name on calleePort, with the lane header forwarded', async () => {
  // The callee's name must resolve here: "localhost" stands in for a Service name such as "orders".
  const callee = await startDemoService({ service: 'localhost', lane: 'feature-x', host: '127.0.0.1', port: 0, calls: [], propagate: ['x-lane'] });
  started.push(callee);
  const caller = await startDemoService({ service: 'frontend', lane: 'stable', host: '127.0.0.1', port: 0, calls: ['localhost'], calleePort: callee.port, propagate: ['x-lane'] });
  started.push(caller);
  const answer = await get(caller.port, { 'x-lane': 'feature-x' });
  assert.equal(answer.status, 200, answer.body);
  assert.deepEqual(JSON.parse(answer.body), { hops: [{ service: 'frontend', lane: 'stable' }, { service: 'localhost', lane: 'feature-x' }] });
});
