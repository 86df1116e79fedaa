// One benchmark candidate in its own worker thread (started by protobuf-encode.ts), so each
// runtime has its own heap, JIT state and globals: google-protobuf's generated CommonJS writes the
// global `proto` namespace, so two google-protobuf runtimes cannot share one thread. Timing is
// taken here, around synchronous batches; the main thread only sequences the requests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { representativeRouteSpec, type Candidate } from './protobuf-fixture.js';

export type CandidateKind = { kind: 'bufbuild' } | { kind: 'google'; runtime: string; protocVersion: string; dir: string } | { kind: 'protobufjs' };
export interface WorkerSetup {
  root: string;
  services: number;
  lanes: number;
  candidate: CandidateKind;
}
export type Op = 'build' | 'encode' | 'decode' | 'json';
export type Request =
  | { type: 'info' }
  | { type: 'roundtrip'; bytes: Uint8Array }
  | { type: 'calibrate'; op: Op; sampleMs: number }
  | { type: 'sample'; op: Op; iterations: number };
export interface Info {
  label: string;
  codegen: string;
  jsonSupport: string;
  bytes: Uint8Array;
  json: string | undefined;
}

const setup = workerData as WorkerSetup;

function pkgVersion(name: string): string {
  const path = join(setup.root, 'node_modules', name, 'package.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version : 'missing';
}

async function load(c: CandidateKind): Promise<Candidate<unknown>> {
  switch (c.kind) {
    case 'bufbuild':
      return (await import('./protobuf-bufbuild.js')).bufbuildCandidate(pkgVersion('@bufbuild/protobuf')) as Candidate<unknown>;
    case 'google':
      return (await import('./protobuf-google.js')).googleCandidate(pkgVersion(c.runtime), c.dir, c.protocVersion) as Candidate<unknown>;
    case 'protobufjs':
      return (await import('./protobuf-protobufjs.js')).protobufjsCandidate(pkgVersion('protobufjs'), setup.root) as Candidate<unknown>;
  }
}

const candidate = await load(setup.candidate);
const spec = representativeRouteSpec(setup.services, setup.lanes);
const message = candidate.build(spec);
const bytes = candidate.encode(message);

let sink = 0;
function task(op: Op): (() => void) | undefined {
  switch (op) {
    case 'build':
      return () => void (sink += candidate.build(spec) ? 1 : 0);
    case 'encode':
      return () => void (sink += candidate.encode(message).length);
    case 'decode':
      return () => void (sink += candidate.decode(bytes) ? 1 : 0);
    case 'json': {
      const toJson = candidate.configDumpJson;
      return toJson ? () => void (sink += toJson(message).length) : undefined;
    }
  }
}

/** Mean milliseconds per call over a batch. */
function runBatch(fn: () => void, iterations: number): number {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - start) / iterations;
}

function handle(req: Request): unknown {
  switch (req.type) {
    case 'info':
      return {
        label: candidate.label,
        codegen: candidate.codegen,
        jsonSupport: candidate.jsonSupport,
        bytes,
        json: candidate.configDumpJson?.(message),
      } satisfies Info;
    case 'roundtrip':
      return candidate.encode(candidate.decode(req.bytes));
    case 'calibrate': {
      // Warms the JIT up and returns the batch size that takes about sampleMs.
      const fn = task(req.op);
      if (!fn) return null;
      let n = 1;
      let per = runBatch(fn, n);
      while (per * n < req.sampleMs / 2) {
        n *= 2;
        per = runBatch(fn, n);
      }
      return Math.max(1, Math.round(req.sampleMs / per));
    }
    case 'sample': {
      const fn = task(req.op);
      return fn ? runBatch(fn, req.iterations) : null;
    }
  }
}

parentPort!.on('message', (req: Request) => {
  try {
    parentPort!.postMessage({ ok: true, value: handle(req), sink: sink % 2 });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
parentPort!.postMessage({ ok: true, value: 'ready' });
