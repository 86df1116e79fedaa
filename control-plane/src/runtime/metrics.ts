// Prometheus metrics: xDS events (connect, disconnect, NACK, ACK, responses) as counters, the
// connected proxies and the change pushes in flight as gauges, snapshot publishes and their duration,
// and Node's process metrics; served on GET /metrics.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { shortTypeName } from '../xds/type-urls.js';
import type { NackEvent, ProxyEvent, ProxyStatusRegistry, TypeEvent } from '../xds/proxy-status.js';
import type { PushLimiter } from '../xds/push-limiter.js';

export interface XdsMetrics {
  registry: Registry;
  /** Stops counting (the registry keeps its values). */
  detach(): void;
}

/** Counts `status`'s events into a registry of its own, so several control planes in one process do not clash. */
export function xdsMetrics(status: ProxyStatusRegistry, pushes?: PushLimiter): XdsMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [registry] });
  const connects = counter('laneway_xds_connects_total', 'ADS streams opened by proxies');
  const disconnects = counter('laneway_xds_disconnects_total', 'ADS streams closed');
  const nacks = counter('laneway_xds_nacks_total', 'responses a proxy rejected (NACK), by xDS type', ['type']);
  const acks = counter('laneway_xds_acks_total', 'responses a proxy accepted (ACK), by xDS type', ['type']);
  const responses = counter('laneway_xds_responses_total', 'discovery responses sent, by xDS type', ['type']);
  new Gauge({
    name: 'laneway_xds_connected_proxies',
    help: 'proxies with an open ADS stream to this replica',
    registers: [registry],
    collect() {
      this.set(status.list().length);
    },
  });
  if (pushes) pushLimiterGauges(registry, pushes);
  // Zero-valued series exist from the start, so rate() and alerts work before the first event.
  for (const type of ['CDS', 'EDS', 'LDS', 'RDS']) for (const c of [nacks, acks, responses]) c.inc({ type }, 0);

  // Each type's labelled child, looked up once: every ACK and response counts, hundreds per lane create.
  const byType = (c: Counter) => {
    const children = new Map<string, { inc(): void }>();
    return (typeUrl: string) => {
      let child = children.get(typeUrl);
      if (!child) children.set(typeUrl, (child = c.labels({ type: shortTypeName(typeUrl) })));
      child.inc();
    };
  };
  const [countNack, countAck, countResponse] = [byType(nacks), byType(acks), byType(responses)];
  const onConnect = (_e: ProxyEvent) => connects.inc();
  const onDisconnect = (_e: ProxyEvent) => disconnects.inc();
  const onNack = (e: NackEvent) => countNack(e.typeUrl);
  const onAck = (e: TypeEvent) => countAck(e.typeUrl);
  const onResponse = (e: TypeEvent) => countResponse(e.typeUrl);
  status.on('connect', onConnect);
  status.on('disconnect', onDisconnect);
  status.on('nack', onNack);
  status.on('ack', onAck);
  status.on('response', onResponse);
  return {
    registry,
    detach() {
      status.off('connect', onConnect);
      status.off('disconnect', onDisconnect);
      status.off('nack', onNack);
      status.off('ack', onAck);
      status.off('response', onResponse);
    },
  };
}

export interface PublishMetrics {
  /** Registered by the debugging wiring, which owns the registry. */
  histogram: Histogram;
  /** One publish (snapshot rebuild) took `ms` milliseconds. */
  observe(ms: number): void;
}

/** Snapshot publishes and how long each took: what a burst of writes or a large model costs. Created before the registry exists, since the first publish comes before the xDS server. */
export function publishMetrics(): PublishMetrics {
  const histogram = new Histogram({
    name: 'laneway_snapshot_publish_seconds',
    help: 'snapshot publishes (rebuilds of the affected proxy groups after a change) and their duration',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [],
  });
  return { histogram, observe: (ms) => histogram.observe(ms / 1000) };
}

/** What tuning maxConcurrentPushes needs: how many change pushes wait for a slot, and how many slots were used. */
function pushLimiterGauges(registry: Registry, pushes: PushLimiter): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  gauge('laneway_xds_pushes_in_flight', 'change pushes sent and not yet answered by every proxy they went to (slots held)', () => pushes.inFlight);
  gauge('laneway_xds_pushes_waiting', 'streams waiting for a slot to push a change', () => pushes.waiting);
  gauge('laneway_xds_pushes_in_flight_max', 'most slots held at once since the start', () => pushes.peak);
}

/** GET /metrics in Prometheus' text format; public like the health checks, as scrapers carry no token. */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', {
    schema: {
      tags: ['operations'], summary: 'Prometheus metrics', security: [],
      response: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { [registry.contentType.replace(/; charset=.*$/, '')]: { schema: { type: 'string' } } } } },
    },
    config: { access: 'public' },
  }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
