// Create -> routed for a workload fork (`npm run bench:forks`; a report, not a test): with a real
// kube-apiserver + etcd (test/support/kube-apiserver.ts, no kubelet, no controller-manager), one
// control-plane replica in Kubernetes mode, the demo mesh's stable pods with real Envoy sidecars
// and a real ingress Envoy. Each run:
//   1. `laneway lane create pr-N --fork payments=registry.example/payments:pr-N` (the CLI's code,
//      in this process: node/tsx start-up is not counted) -> the fork Deployment exists in the API
//      server (found by its labels; polled every 5 ms)                          = "API part"
//   2. the bench does the kubelet's part: a Pod from the fork Deployment's template, its demo app
//      on its own 127.0.1.N address, status Ready written through the API server
//   3. Ready written -> a request with `x-lane: pr-N` through the ingress Envoy reaches the fork
//      (frontend/stable orders/stable payments/pr-N; polled every 5 ms)        = "routing part"
//      and, in parallel, Ready written -> GET /v1/lanes/pr-N says the fork is Ready  = "status"
// then the lane is deleted. One warm-up run is not counted. Env: LANEWAY_BENCH_RUNS (20).
// Writes test/bench/results/forks-<date>.md. Needs the fork reconciler (issue 26 item 2).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { meshGet } from '../../deploy/local/client.js';
import { startDemoService, type DemoService } from '../../deploy/demo/service.js';
import { runCli } from '../../control-plane/src/cli/laneway.js';
import { createForkPod, forkDeployment, readyPodStatus, setPodStatus, startForkMesh, type ForkMesh } from '../support/fork-mesh.js';
import { NS, type KubeMesh } from '../support/kube-mesh.js';
import { fmt, median, percentile } from './stats.js';

const RUNS = Number(process.env.LANEWAY_BENCH_RUNS ?? 20);
const POLL_MS = 5;
const STEP_TIMEOUT_MS = 20000;
const ROOT = resolve(import.meta.dirname, '../..');

interface Sample { apiMs: number; cliMs: number; podMs: number; routedMs: number; statusMs: number }

/** Polls `check` every 5 ms until it gives a value; throws naming `what` after 20 s. */
async function pollFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function laneway(api: string, args: string[]): Promise<void> {
  let stderr = '';
  const code = await runCli(['--server', api, ...args], { env: {}, stdout: () => {}, stderr: (t) => (stderr += t) });
  if (code !== 0) throw new Error(`laneway ${args.join(' ')}: exit ${code}: ${stderr.trim()}`);
}

/** What a kubelet and the ReplicaSet controller would do: a pod from the fork Deployment's template, its app running, Ready. */
async function runForkPod(mesh: KubeMesh, deployment: any, lane: string, ip: string): Promise<DemoService> {
  const app = await startDemoService({ service: 'payments', lane, host: ip, port: mesh.appPort, protocol: 'grpc', calls: [], propagate: ['x-lane'] });
  const name = `${deployment.metadata.name}-bench`;
  await createForkPod(mesh, deployment, name);
  await setPodStatus(mesh, name, readyPodStatus(deployment.spec.template.spec.containers, ip));
  return app;
}

/** One create -> Deployment -> Ready pod -> routed run. */
async function oneRun(mesh: KubeMesh, api: string, n: number): Promise<Sample> {
  const lane = `pr-${n}`;
  const started = performance.now();
  await laneway(api, ['lane', 'create', lane, '--fork', `payments=registry.example/payments:${lane}`, '--ttl', '1h']);
  const cliDone = performance.now();
  const deployment = await pollFor(`the fork Deployment of ${lane}`, () => forkDeployment(mesh, lane));
  const deploymentSeen = performance.now();
  const app = await runForkPod(mesh, deployment, lane, `127.0.1.${n + 1}`);
  const podReady = performance.now();
  const expected = `frontend/stable orders/stable payments/${lane}`;
  const [routed, statusReady] = await Promise.all([
    pollFor(`x-lane ${lane} to reach the fork`, async () => ((await meshGet(mesh.ingressUrl, { 'x-lane': lane })).path === expected ? performance.now() : undefined)),
    pollFor(`the status of ${lane}'s fork to say Ready`, async () => {
      const view = (await (await fetch(`${api}/v1/lanes/${lane}`)).json()) as { status?: { forks?: Array<{ ready: boolean }> } };
      return view.status?.forks?.[0]?.ready ? performance.now() : undefined;
    }),
  ]);
  await laneway(api, ['lane', 'delete', lane]);
  await mesh.api('DELETE', `/api/v1/namespaces/${NS}/pods/${deployment.metadata.name}-bench`);
  await app.close();
  return { apiMs: deploymentSeen - started, cliMs: cliDone - started, podMs: podReady - deploymentSeen, routedMs: routed - podReady, statusMs: statusReady - podReady };
}

function report(samples: Sample[], warmup: Sample): string {
  const row = (label: string, pick: (s: Sample) => number) => {
    const values = samples.map(pick);
    return `| ${label} | ${fmt(median(values))} | ${fmt(percentile(values, 90))} | ${fmt(Math.min(...values))} | ${fmt(Math.max(...values))} |`;
  };
  const date = new Date().toISOString().slice(0, 10);
  return [
    `# Workload forks: create -> Deployment -> routed (${date})`,
    '',
    `${samples.length} runs (one warm-up run not counted: API part ${fmt(warmup.apiMs)} ms), \`npm run bench:forks\``,
    '(test/bench/forks-create-to-routed.ts): real kube-apiserver + etcd (no kubelet, no',
    'controller-manager), one control-plane replica in Kubernetes mode, real Envoys (ingress and the',
    'stable pods\' sidecars); 2 CPUs shared with whatever else the machine runs. Times in ms.',
    '',
    '| interval | median | p90 | min | max |',
    '| --- | --- | --- | --- | --- |',
    row('`laneway lane create --fork` -> fork Deployment exists (API part)', (s) => s.apiMs),
    row('... of which the CLI\'s POST /v1/lanes', (s) => s.cliMs),
    row('fork Deployment seen -> its pod Ready (the bench acting as kubelet)', (s) => s.podMs),
    row('pod Ready -> Envoy routes `x-lane` to it (routing part)', (s) => s.routedMs),
    row('pod Ready -> `GET /v1/lanes/:name` says the fork is Ready', (s) => s.statusMs),
    '',
    'Polling every 5 ms (Deployments through the API server, requests through the ingress, the REST',
    'status), so each figure includes up to about 5 ms of polling delay. The CLI runs in the',
    'benchmark\'s process: node start-up of a `laneway` process is not counted.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-bench-forks-'));
  let started: ForkMesh | undefined;
  try {
    started = await startForkMesh(workDir);
    const { mesh, api } = started;
    const warmup = await oneRun(mesh, api, 0);
    const samples: Sample[] = [];
    for (let n = 1; n <= RUNS; n++) {
      samples.push(await oneRun(mesh, api, n));
      process.stderr.write(`run ${n}/${RUNS}: API ${fmt(samples.at(-1)!.apiMs)} ms, routed ${fmt(samples.at(-1)!.routedMs)} ms\n`);
    }
    const text = report(samples, warmup);
    const out = join(ROOT, 'test/bench/results', `forks-${new Date().toISOString().slice(0, 10)}.md`);
    writeFileSync(out, text);
    process.stdout.write(`${text}\nwrote ${out}\n`);
  } finally {
    await started?.mesh.stop();
    await started?.kube.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
