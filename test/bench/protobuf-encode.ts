// Protobuf runtime benchmark behind docs/adr/0001-protobuf.md (`npm run bench:protobuf`).
//
// Builds one representative RouteConfiguration (protobuf-fixture.ts) with each candidate runtime,
// checks that every candidate's bytes decode to the same content (and whether the bytes are
// identical), then times build / encode / decode / config-dump JSON side by side. Each candidate
// runs in its own worker thread (protobuf-worker.ts); within every round the candidates take turns
// per operation in rotating, alternating order, each sample is the mean of a batch of ~SAMPLE_MS,
// and the report gives the median over rounds. Measuring stops after BUDGET_MS (< 60 s in all).
// Writes test/bench/results/protobuf-<date>.md and prints it.
//
// Env: LANEWAY_BENCH_ROUNDS (default 12), LANEWAY_BENCH_SAMPLE_MS (default 100).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describeSpec, representativeRouteSpec } from './protobuf-fixture.js';
import type { CandidateKind, Info, Op, Request, WorkerSetup } from './protobuf-worker.js';

const started = performance.now();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROUNDS = Number(process.env['LANEWAY_BENCH_ROUNDS'] ?? 12);
const SAMPLE_MS = Number(process.env['LANEWAY_BENCH_SAMPLE_MS'] ?? 100);
const BUDGET_MS = 40_000;
const SERVICES = 50;
const LANES = 20;
const PROTOC_JS_VERSION = '3.20.3';
const cacheDir = join(root, 'node_modules/.cache/laneway-bench');

// ---- generated code ---------------------------------------------------------------------------

if (!existsSync(join(root, 'control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.ts'))) {
  execFileSync(process.execPath, [join(root, 'scripts/generate-protos.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
}
// google-protobuf code needs protoc 3.20.3 (fetched with Maven); without it those candidates are
// skipped and the report says why, rather than losing the other numbers.
const skipped: string[] = [];
let googleReady = existsSync(join(cacheDir, '.google-protobuf-complete'));
if (!googleReady) {
  try {
    execFileSync(process.execPath, [join(root, 'scripts/generate-protos-google.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
    googleReady = true;
  } catch (err) {
    skipped.push(`google-protobuf: code generation failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
}
const googleRuntimes = ['google-protobuf', 'google-protobuf-v3'].filter((runtime) => {
  if (!googleReady) return false;
  if (existsSync(join(root, 'node_modules', runtime, 'package.json'))) return true;
  skipped.push(`${runtime}: not installed`);
  return false;
});

// ---- workers ----------------------------------------------------------------------------------

interface Reply {
  ok: boolean;
  value?: unknown;
  error?: string;
}
class CandidateWorker {
  private readonly worker: Worker;
  private pending: ((r: Reply) => void)[] = [];
  readonly ready: Promise<Reply>;

  constructor(candidate: CandidateKind) {
    const entry = new URL('./protobuf-worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    // Workers do not inherit tsx's loader; register it before importing the TypeScript entry.
    const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
    const workerData: WorkerSetup = { root, services: SERVICES, lanes: LANES, candidate };
    this.worker = new Worker(boot, { eval: true, workerData });
    this.ready = new Promise((res) => this.pending.push(res));
    this.worker.on('message', (r: Reply) => this.pending.shift()?.(r));
    // A crashed worker fails whatever is waiting on it instead of hanging the run.
    this.worker.on('error', (err) => {
      for (const res of this.pending.splice(0)) res({ ok: false, error: err.stack ?? String(err) });
    });
  }

  async call<T>(req: Request): Promise<T> {
    const reply = await new Promise<Reply>((res) => {
      this.pending.push(res);
      this.worker.postMessage(req);
    });
    if (!reply.ok) throw new Error(`benchmark worker failed on ${req.type}:\n${reply.error}`);
    return reply.value as T;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

const kinds: { key: string; kind: CandidateKind }[] = [
  { key: 'bufbuild', kind: { kind: 'bufbuild' } },
  ...googleRuntimes.map((runtime) => ({
    key: runtime,
    kind: { kind: 'google' as const, runtime, protocVersion: PROTOC_JS_VERSION, dir: join(cacheDir, runtime) },
  })),
  { key: 'protobufjs', kind: { kind: 'protobufjs' } },
];
const workers = kinds.map(({ key, kind }) => ({ key, w: new CandidateWorker(kind) }));
for (const { w } of workers) {
  const r = await w.ready;
  if (!r.ok) throw new Error(`benchmark worker failed to start:\n${r.error}`);
}
const infos = new Map<string, Info>();
for (const { key, w } of workers) infos.set(key, await w.call<Info>({ type: 'info' }));
const info = (key: string) => infos.get(key)!;

// ---- same content -----------------------------------------------------------------------------

const { equals, fromBinary } = await import('@bufbuild/protobuf');
const { RouteConfigurationSchema } = await import('../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js');
const spec = representativeRouteSpec(SERVICES, LANES);
const referenceBytes = info('bufbuild').bytes;
const reference = fromBinary(RouteConfigurationSchema, referenceBytes);
const sameContent = (bytes: Uint8Array) => equals(RouteConfigurationSchema, fromBinary(RouteConfigurationSchema, bytes), reference);
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

interface Check {
  identicalBytes: boolean;
  contentEqual: boolean;
  readsReference: boolean;
}
const checks = new Map<string, Check>();
for (const { key, w } of workers) {
  const bytes = info(key).bytes;
  checks.set(key, {
    identicalBytes: sameBytes(bytes, referenceBytes),
    contentEqual: sameContent(bytes),
    readsReference: sameContent(await w.call<Uint8Array>({ type: 'roundtrip', bytes: referenceBytes })),
  });
}
const allChecksPass = [...checks.values()].every((c) => c.contentEqual && c.readsReference);

// Config-dump JSON, compared with @bufbuild's canonical output (parsed, so key order is ignored).
function jsonDiff(a: unknown, b: unknown, path = '$', out: string[] = []): string[] {
  if (out.length >= 4) return out;
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    out.push(`${path}: ${JSON.stringify(a)?.slice(0, 60)} vs ${JSON.stringify(b)?.slice(0, 60)}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: ${a.length} vs ${b.length} items`);
    else a.forEach((v, i) => jsonDiff(v, b[i], `${path}[${i}]`, out));
  } else if (a !== null && typeof a === 'object') {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) jsonDiff(ao[k], bo[k], `${path}.${k}`, out);
  } else if (a !== b) {
    out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  return out;
}
const canonicalJson = JSON.parse(info('bufbuild').json!) as unknown;
const jsonNote = (key: string) => {
  const json = info(key).json;
  if (key === 'bufbuild') return 'reference';
  if (json === undefined) return 'not measured (no JSON)';
  const diff = jsonDiff(JSON.parse(json), canonicalJson);
  return diff.length === 0 ? 'same as reference' : `differs: ${diff.map((d) => `\`${d}\``).join('; ')}`;
};

// ---- timing -----------------------------------------------------------------------------------

const OPS: Op[] = ['build', 'encode', 'decode', 'json'];
const OP_TITLE: Record<Op, string> = {
  build: 'build (plain data → message)',
  encode: '**encode** (message → bytes)',
  decode: 'decode (bytes → message)',
  json: 'config-dump JSON (Any pack + proto3 JSON + stringify)',
};
const iterations = new Map<string, number | null>();
for (const { key, w } of workers) {
  for (const op of OPS) iterations.set(`${key}:${op}`, await w.call<number | null>({ type: 'calibrate', op, sampleMs: SAMPLE_MS }));
}
const samples = new Map<string, number[]>();
const measureStart = performance.now();
let rounds = 0;
for (let r = 0; r < ROUNDS; r++) {
  const roundStart = performance.now();
  // Rotate and alternate the order so no candidate always runs first, or right after the same one.
  const order = workers.map((_, i) => workers[(i + r) % workers.length]!);
  if (r % 2 === 1) order.reverse();
  for (const op of OPS) {
    for (const { key, w } of order) {
      const n = iterations.get(`${key}:${op}`);
      if (!n) continue;
      const ms = await w.call<number>({ type: 'sample', op, iterations: n });
      samples.set(`${key}:${op}`, [...(samples.get(`${key}:${op}`) ?? []), ms]);
    }
  }
  rounds++;
  if (performance.now() - measureStart + (performance.now() - roundStart) > BUDGET_MS) break;
}
await Promise.all(workers.map(({ w }) => w.terminate()));
const totalS = (performance.now() - started) / 1000;

// ---- report -----------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (ms: number) => (ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
const stat = (key: string) => {
  const xs = samples.get(key);
  return xs?.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) } : undefined;
};
const cell = (key: string) => {
  const s = stat(key);
  return s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : 'n/a';
};
const ratio = (key: string, op: Op) => {
  const a = stat(`${key}:${op}`);
  const b = stat(`bufbuild:${op}`);
  return a && b ? `${(a.median / b.median).toFixed(2)}×` : 'n/a';
};
const yesNo = (b: boolean) => (b ? 'yes' : '**NO**');
const others = workers.filter(({ key }) => key !== 'bufbuild');

const now = new Date();
const date = now.toISOString().slice(0, 10);
const cpu = cpus();
const lines: string[] = [
  `# Protobuf runtime benchmark, ${date}`,
  '',
  `Command: \`npm run bench:protobuf\` (test/bench/protobuf-encode.ts), run ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
  `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, Linux ${release()}, Node ${process.version}; load average at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}.`,
  '',
  `Message: ${describeSpec(spec)}. Cluster names like \`${spec.virtualHosts[0]?.routes[0]?.cluster}\`.`,
  '',
  '| candidate | code generation |',
  '| --- | --- |',
  ...workers.map(({ key }) => `| ${info(key).label} | ${info(key).codegen} |`),
  ...(skipped.length ? ['', ...skipped.map((s) => `Skipped: ${s}.`)] : []),
  '',
  '## Same content',
  '',
  `Reference: @bufbuild/protobuf's encoding (${referenceBytes.length} bytes). "Content equal": the candidate's bytes, decoded by @bufbuild/protobuf, \`equals()\` the reference. "Reads reference": the candidate decodes the reference bytes and re-encodes them to the same content.`,
  '',
  '| candidate | encoded size (bytes) | identical bytes | content equal | reads reference |',
  '| --- | --- | --- | --- | --- |',
  ...workers.map(({ key }) => {
    const k = checks.get(key)!;
    return `| ${info(key).label} | ${info(key).bytes.length} | ${key === 'bufbuild' ? '(reference)' : yesNo(k.identicalBytes)} | ${yesNo(k.contentEqual)} | ${yesNo(k.readsReference)} |`;
  }),
  '',
  '## Time per operation',
  '',
  `Milliseconds per operation on the whole RouteConfiguration: median over ${rounds} rounds (min–max). Every candidate runs in its own worker thread; each round runs every candidate once per operation, in rotating and alternating order; each sample is the mean of a batch of ~${SAMPLE_MS} ms.`,
  '',
  `| operation | ${workers.map(({ key }) => info(key).label).join(' | ')} |`,
  `| --- | ${workers.map(() => '---').join(' | ')} |`,
  ...OPS.map((op) => `| ${OP_TITLE[op]} | ${workers.map(({ key }) => cell(`${key}:${op}`)).join(' | ')} |`),
  '',
  'Median time relative to @bufbuild/protobuf (above 1× = slower):',
  '',
  `| operation | ${others.map(({ key }) => info(key).label).join(' | ')} |`,
  `| --- | ${others.map(() => '---').join(' | ')} |`,
  ...OPS.map((op) => `| ${OP_TITLE[op]} | ${others.map(({ key }) => ratio(key, op)).join(' | ')} |`),
  '',
  '## JSON with Any (config dumps)',
  '',
  'Measured: envoy.admin.v3.RoutesConfigDump with the RouteConfiguration packed into `route_config` (google.protobuf.Any), proto field names, compared (parsed, key order ignored) with @bufbuild/protobuf `toJson(..., { registry, useProtoFieldName: true })`.',
  '',
  '| candidate | proto3 JSON with Any | config-dump JSON vs reference |',
  '| --- | --- | --- |',
  ...workers.map(({ key }) => `| ${info(key).label} | ${info(key).jsonSupport} | ${jsonNote(key)} |`),
  '',
  `Whole run ${totalS.toFixed(1)} s.`,
  '',
];
const report = lines.join('\n');
const outDir = join(root, 'test/bench/results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `protobuf-${date}.md`);
writeFileSync(outFile, report);
console.log(report);
console.log(`(written to ${relative(process.cwd(), outFile)})`);
if (!allChecksPass) {
  console.error('bench:protobuf: a candidate did not produce the same content; see "Same content"');
  process.exitCode = 1;
}
