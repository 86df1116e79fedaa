// GET /v1/watch/lanes: a server-sent event stream of lane changes, so a page shows lanes created or
// deleted anywhere (CLI, CI, expiry) without reloading. The served model is frozen and replaced on
// every change, so one shared timer compares the lanes object's identity and, when it changed,
// which lanes were added, removed or replaced.
import type { FastifyInstance } from 'fastify';
import type { Lane, MeshState } from '../model/types.js';
import { errorResponses } from './schemas.js';

export interface LaneChanges {
  /** Counts changes seen by this process since it started. */
  revision: number;
  added: string[];
  removed: string[];
  changed: string[];
}

const CHECK_EVERY_MS = 200;
// A comment line now and then keeps proxies and browsers from closing an idle stream.
const KEEPALIVE_MS = 15000;

/** Lane names added, removed and changed (a different object) between two lanes maps, sorted. */
export function laneChanges(before: Record<string, Lane>, after: Record<string, Lane>): Omit<LaneChanges, 'revision'> {
  const added: string[] = [];
  const changed: string[] = [];
  for (const name of Object.keys(after)) {
    if (!Object.hasOwn(before, name)) added.push(name);
    else if (before[name] !== after[name]) changed.push(name);
  }
  const removed = Object.keys(before).filter((name) => !Object.hasOwn(after, name));
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() };
}

const NAMES = { type: 'array', items: { type: 'string' } };
/** One event of the stream, as a client's parser gives it; `data` is JSON. */
const LANE_EVENT = {
  type: 'object',
  required: ['event', 'data'],
  properties: {
    event: { type: 'string', enum: ['ready', 'lanes'] },
    data: {
      type: 'string', contentMediaType: 'application/json',
      contentSchema: { type: 'object', required: ['revision'], properties: { revision: { type: 'integer', minimum: 0 }, added: NAMES, removed: NAMES, changed: NAMES } },
    },
    retry: { type: 'integer', description: 'reconnect after this many milliseconds (on the first event)' },
  },
};

type Send = (text: string) => void;

/** One timer for every open stream, running only while there is one. */
class LaneWatcher {
  private readonly streams = new Set<Send>();
  private timer: NodeJS.Timeout | undefined;
  private lanes: Record<string, Lane>;
  private revision = 0;

  constructor(private readonly getState: () => MeshState) {
    this.lanes = getState().lanes;
  }

  current(): number {
    return this.revision;
  }

  subscribe(send: Send): () => void {
    if (this.streams.size === 0) {
      this.check();
      this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    }
    this.streams.add(send);
    return () => {
      this.streams.delete(send);
      if (this.streams.size === 0) clearInterval(this.timer);
    };
  }

  private check(): void {
    const lanes = this.getState().lanes;
    if (lanes === this.lanes) return;
    const changes = laneChanges(this.lanes, lanes);
    this.lanes = lanes;
    if (changes.added.length + changes.removed.length + changes.changed.length === 0) return;
    this.revision++;
    const event = `event: lanes\ndata: ${JSON.stringify({ revision: this.revision, ...changes })}\n\n`;
    for (const send of this.streams) send(event);
  }
}

export function registerLaneWatchRoute(app: FastifyInstance, getState: () => MeshState): void {
  const watcher = new LaneWatcher(getState);
  const open = new Set<() => void>();
  // Streams never end by themselves; end them so closing the server does not wait on them.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.get('/v1/watch/lanes', {
    schema: {
      tags: ['lanes'],
      summary: 'Lane changes as server-sent events (text/event-stream)',
      description: 'First `event: ready` with `{"revision": n}`, then one `event: lanes` per change with `{"revision", "added", "removed", "changed"}` (lane names). Read the lanes again on each event. Comment lines keep the stream open.',
      response: { 200: { description: 'an endless event stream', content: { 'text/event-stream': { schema: LANE_EVENT } } }, ...errorResponses() },
    },
  }, (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const unsubscribe = watcher.subscribe((text) => raw.write(text));
    raw.write(`retry: 1000\nevent: ready\ndata: ${JSON.stringify({ revision: watcher.current() })}\n\n`);
    const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
    const end = () => {
      clearInterval(keepalive);
      unsubscribe();
      open.delete(end);
      if (!raw.writableEnded) raw.end();
    };
    open.add(end);
    request.raw.on('close', end);
  });
}
