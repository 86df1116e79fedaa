// There is no Docker engine here, so this checks what can be checked of docker-compose.yml: it
// parses, every file it mounts exists, every Envoy it runs gets a bootstrap (rendered by the same
// entrypoint script the containers run) that the real envoy accepts, and its definitions are valid.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { emptyMeshState } from '../../control-plane/src/model/types.js';
import { validateMeshState } from '../../control-plane/src/model/validate.js';
import { mergeSources } from '../../control-plane/src/sources/merge.js';
import { parseDefinitionsFile } from '../../control-plane/src/sources/yaml-dir.js';
import { DEMO_LANES, DEMO_LEAKY_LANE, DEMO_SERVICES, grpcCallees } from '../../deploy/demo/topology.js';
import { sourceOfNodeCommand } from '../support/compiled-entry.js';
import { readDoc } from '../support/docs-blocks.js';

const root = resolve(import.meta.dirname, '../..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: string; command?: string[]; entrypoint?: string[]; environment?: Record<string, string>; volumes?: string[]; network_mode?: string }>;
};
const services = compose.services;

function hostPath(containerPath: string, volumes: string[]): string {
  for (const v of volumes) {
    const [src, dst] = v.split(':') as [string, string];
    if (containerPath === dst || containerPath.startsWith(`${dst}/`)) return join(root, src, containerPath.slice(dst.length));
  }
  throw new Error(`${containerPath} is not mounted`);
}

test('the expected containers are there, envoy pinned to the version the tests run', () => {
  assert.deepEqual(Object.keys(services).sort(), [
    'control-plane', 'frontend', 'frontend-sidecar', 'ingress', 'orders', 'orders-feature-x', 'orders-feature-x-sidecar',
    'orders-feature-y', 'orders-feature-y-sidecar', 'orders-sidecar', 'payments', 'payments-sidecar',
  ]);
  for (const [name, svc] of Object.entries(services)) {
    if (name === 'ingress' || name.endsWith('-sidecar')) assert.equal(svc.image, 'envoyproxy/envoy:v1.40.0', name);
    else assert.equal(svc.build, '.', name);
  }
  assert.ok(existsSync(join(root, 'Dockerfile')));
});

test('the laneway containers run compiled JavaScript with plain node: the control plane by the image\'s entrypoint, the demo services by theirs', () => {
  for (const [name, svc] of Object.entries(services)) {
    if (svc.build !== '.') continue;
    if (name === 'control-plane') assert.equal(svc.entrypoint, undefined, 'the Dockerfile\'s ENTRYPOINT (test/unit/dockerfile.test.ts)');
    else assert.equal(sourceOfNodeCommand(svc.entrypoint!), 'deploy/demo/main.ts', name);
  }
});

test('every bind-mounted file or directory exists', () => {
  for (const [name, svc] of Object.entries(services)) {
    for (const v of svc.volumes ?? []) {
      const src = v.split(':')[0]!;
      if (src.startsWith('.')) assert.ok(existsSync(join(root, src)), `${name}: ${src}`);
    }
  }
});

test('every Envoy container renders a bootstrap that envoy --mode validate accepts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-compose-'));
  try {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.image !== 'envoyproxy/envoy:v1.40.0') continue;
      const volumes = svc.volumes ?? [];
      const script = hostPath(svc.entrypoint![1]!, volumes);
      const template = hostPath(svc.command![0]!, volumes);
      const out = join(dir, `${name}.yaml`);
      const stdout = execFileSync('sh', [script, template, '--mode', 'validate'], {
        env: { ...process.env, ...svc.environment, ENVOY_CONFIG_OUT: out },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      assert.match(stdout, /OK/, name);
      assert.doesNotMatch(readFileSync(out, 'utf8'), /\$\{/, `${name}: every placeholder filled`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sidecars share their app\'s network and name the service and lane it runs', () => {
  for (const [name, svc] of Object.entries(services)) {
    if (!name.endsWith('-sidecar')) continue;
    const app = name.slice(0, -'-sidecar'.length);
    assert.equal(svc.network_mode, `service:${app}`);
    assert.equal(svc.environment!.SERVICE, services[app]!.environment!.SERVICE, name);
    assert.equal(svc.environment!.LANE, services[app]!.environment!.LANE, name);
    assert.equal(services[app]!.environment!.SIDECAR_URL, `http://127.0.0.1:${svc.environment!.LISTENER_PORT}`, name);
  }
});

test('the mounted definitions are valid and match the local mesh topology', () => {
  const parsed = parseDefinitionsFile(readFileSync(join(root, 'deploy/compose/definitions/demo.yaml'), 'utf8'));
  assert.ok('defs' in parsed, JSON.stringify(parsed));
  const { state, errors } = mergeSources(emptyMeshState(), parsed.defs);
  assert.deepEqual(errors, []);
  assert.deepEqual(validateMeshState(state), []);
  assert.deepEqual(Object.keys(state.services), DEMO_SERVICES.map((s) => s.name).sort());
  assert.deepEqual(Object.keys(state.lanes), [...DEMO_LANES.map((l) => l.name), DEMO_LEAKY_LANE.name]);
  assert.equal(state.settings.hopRecords, true);
  for (const spec of DEMO_SERVICES) {
    const env = services[spec.name]!.environment!;
    assert.equal(env.CALLS ?? '', spec.calls.join(','), spec.name);
    assert.equal(env.GRPC_CALLS ?? '', grpcCallees(spec).join(','), spec.name);
    assert.equal(env.PROTOCOL ?? 'http', spec.protocol, spec.name);
    assert.equal(state.services[spec.name]!.protocol, spec.protocol, spec.name);
  }
  // Every lane instance container runs like its stable one, only LANE differs (and DROP, for the leaky lane's).
  const leaky = { name: DEMO_LEAKY_LANE.name, services: [DEMO_LEAKY_LANE.service] };
  for (const lane of [...DEMO_LANES, leaky]) {
    for (const service of lane.services) {
      const { LANE, DROP, ...laneEnv } = services[`${service}-${lane.name}`]!.environment!;
      const { LANE: _, ...stableEnv } = services[service]!.environment!;
      assert.equal(LANE, lane.name);
      assert.equal(DROP, lane === leaky ? DEMO_LEAKY_LANE.drop : undefined);
      assert.deepEqual(laneEnv, stableEnv, `${service}-${lane.name}`);
    }
  }
});

test('the getting-started guide\'s compose file: every Envoy renders a bootstrap envoy accepts, sidecars register their app', () => {
  const block = readDoc(join(root, 'docs/getting-started.md')).blocks.find((b) => b.lang === 'yaml' && b.text.includes('envoyproxy/envoy'))!;
  const guide = (parse(block.text, { merge: true }) as typeof compose).services;
  const dir = mkdtempSync(join(tmpdir(), 'laneway-guide-compose-'));
  // The guide's compose file lives in try/ of the checkout: its ../ paths are the repository's.
  const fromTry = (path: string) => join(root, path.replace(/^\.\.\//, ''));
  try {
    for (const [name, svc] of Object.entries(guide)) {
      if (svc.image !== 'envoyproxy/envoy:v1.40.0') continue;
      const volumes = (svc.volumes ?? []).map((v) => v.replace(/^(\.\.\/[^:]+)/, (p) => fromTry(p)));
      const container = (path: string) => volumes.map((v) => v.split(':')).find(([, dst]) => path.startsWith(dst!))!;
      const [scriptSrc, scriptDst] = container(svc.entrypoint![1]!);
      const [templateDir, templateDst] = container(svc.entrypoint![2]!);
      const out = join(dir, `${name}.yaml`);
      const stdout = execFileSync('sh', [svc.entrypoint![1]!.replace(scriptDst!, scriptSrc!), svc.entrypoint![2]!.replace(templateDst!, templateDir!), '--mode', 'validate'], {
        env: { ...process.env, ...svc.environment, ENVOY_CONFIG_OUT: out },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      assert.match(stdout, /OK/, name);
      const node = (parse(readFileSync(out, 'utf8')) as { node: { metadata: Record<string, string> } }).node;
      if (name.endsWith('-sidecar')) {
        const app = name.slice(0, -'-sidecar'.length);
        assert.equal(svc.network_mode, `service:${app}`);
        assert.equal(node.metadata['laneway.register'], `${app}:${guide[app]!.command![4]}`, `${name} registers its app`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
