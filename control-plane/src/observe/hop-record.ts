// One hop: a request one proxy sent to one instance of a service, as its access-log entry tells.
// Pure: the entry and the names to read from it in, a HopRecord (or undefined when the entry is
// not a routed request to a Laneway cluster, such as a passthrough or a 404) out.
import type { AccessLogEntry } from '../xds/access-log-wire.js';

/** The proxy that sent a hop: a service's sidecar (with its instance's lane when its node says) or the ingress. */
export interface HopSender {
  nodeId: string;
  kind: 'sidecar' | 'ingress';
  /** The service a sidecar fronts. */
  service?: string;
  /** The instance's lane from node metadata `laneway.lane` ("stable" or a lane), when given. */
  lane?: string;
}

export interface HopRecord {
  sender: HopSender;
  /** The service called. */
  callee: string;
  /** The instance chosen: a lane name or "stable" (the cluster's suffix). */
  instance: string;
  /** The request's lane after lane entry (the lane header), when it holds a lane name. */
  lane: string | undefined;
  /** The W3C trace id of its traceparent, when it has a valid one. */
  traceId: string | undefined;
  status: number;
  /** The served-by response header ("orders/stable (fallback)"), when present. */
  servedBy: string | undefined;
}

/** The names an entry's headers are logged under (settings.laneHeader, settings.servedByHeader), lower-case. */
export interface HopHeaders {
  laneHeader: string;
  servedByHeader: string;
}

const LANE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/;
const ZERO_TRACE = '0'.repeat(32);
const MAX_SERVED_BY = 200;

export function traceIdOf(traceparent: string | undefined): string | undefined {
  const id = traceparent === undefined ? undefined : TRACEPARENT.exec(traceparent)?.[1];
  return id === ZERO_TRACE ? undefined : id;
}

/** `orders~feature-x` -> [orders, feature-x]; undefined for clusters Laneway did not name (passthrough). */
function instanceOf(cluster: string): [string, string] | undefined {
  const at = cluster.indexOf('~');
  if (at <= 0 || at !== cluster.lastIndexOf('~')) return undefined;
  const service = cluster.slice(0, at);
  const instance = cluster.slice(at + 1);
  return LANE_NAME.test(service) && LANE_NAME.test(instance) ? [service, instance] : undefined;
}

export function hopFromEntry(entry: AccessLogEntry, sender: HopSender, headers: HopHeaders): HopRecord | undefined {
  const routed = instanceOf(entry.upstreamCluster);
  if (!routed) return undefined;
  const requestHeaders = entry.requestHeaders;
  const lane = requestHeaders[headers.laneHeader];
  const servedBy = entry.responseHeaders[headers.servedByHeader];
  return {
    sender,
    callee: routed[0],
    instance: routed[1],
    lane: lane !== undefined && LANE_NAME.test(lane) ? lane : undefined,
    traceId: traceIdOf(requestHeaders.traceparent),
    status: entry.responseCode,
    servedBy: servedBy === undefined ? undefined : servedBy.slice(0, MAX_SERVED_BY),
  };
}
