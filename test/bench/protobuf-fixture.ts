// The representative RouteConfiguration of the protobuf benchmark (docs/adr/0001-protobuf.md), as
// plain data every candidate builds its own message from. Shape follows translate/route.ts: one
// virtual host per service with domains [service, service:port], one route per lane (prefix "/" +
// exact match on the lane header) and a default route to stable; every route adds the served-by
// response header (OVERWRITE_IF_EXISTS_OR_ADD).

export interface RouteSpec {
  name: string;
  virtualHosts: VirtualHostSpec[];
}

export interface VirtualHostSpec {
  name: string;
  domains: string[];
  routes: RouteItemSpec[];
}

export interface RouteItemSpec {
  /** Exact match on this header; absent for the default route. */
  laneMatch?: { header: string; value: string };
  cluster: string;
  responseHeader: { key: string; value: string };
}

export const LANE_HEADER = 'x-lane';
export const SERVED_BY_HEADER = 'x-lane-served-by';
/** Fixed config-dump timestamp, so JSON output is deterministic. */
export const LAST_UPDATED_MS = Date.UTC(2026, 0, 1, 12, 0, 0);

const SERVICE_WORDS = ['orders', 'payments', 'catalog', 'checkout', 'inventory', 'shipping', 'users', 'search', 'reviews', 'pricing'];
const LANE_WORDS = ['feature-x', 'fix-login', 'checkout-v2', 'perf', 'alice', 'bob', 'search-rework', 'pricing-ab', 'hotfix', 'canary'];

function pick(words: string[], i: number): string {
  const w = words[i % words.length]!;
  return i < words.length ? w : `${w}-${Math.floor(i / words.length)}`;
}

export function representativeRouteSpec(services = 50, lanesPerService = 20): RouteSpec {
  const virtualHosts: VirtualHostSpec[] = [];
  for (let s = 0; s < services; s++) {
    const service = pick(SERVICE_WORDS, s);
    const routes: RouteItemSpec[] = [];
    for (let l = 0; l < lanesPerService; l++) {
      const lane = pick(LANE_WORDS, l);
      routes.push({
        laneMatch: { header: LANE_HEADER, value: lane },
        cluster: `${service}~${lane}`,
        responseHeader: { key: SERVED_BY_HEADER, value: `${service}/${lane}` },
      });
    }
    routes.push({ cluster: `${service}~stable`, responseHeader: { key: SERVED_BY_HEADER, value: `${service}/stable` } });
    virtualHosts.push({ name: service, domains: [service, `${service}:${8080 + s}`], routes });
  }
  return { name: 'outbound', virtualHosts };
}

export function describeSpec(spec: RouteSpec): string {
  const routes = spec.virtualHosts.reduce((n, vh) => n + vh.routes.length, 0);
  const lanes = spec.virtualHosts[0] ? spec.virtualHosts[0].routes.length - 1 : 0;
  return `RouteConfiguration "${spec.name}": ${spec.virtualHosts.length} virtual hosts × (${lanes} lane routes with exact header match + 1 default route) = ${routes} routes, each with response_headers_to_add`;
}

/** What a candidate runtime must do for the benchmark. M is the runtime's message type. */
export interface Candidate<M> {
  /** Package name and version, e.g. "@bufbuild/protobuf 2.17.0". */
  label: string;
  /** How its code was generated. */
  codegen: string;
  build(spec: RouteSpec): M;
  encode(message: M): Uint8Array;
  decode(bytes: Uint8Array): M;
  /**
   * An Envoy-style RoutesConfigDump with the RouteConfiguration packed in google.protobuf.Any,
   * serialized as JSON with "@type" and proto field names; undefined when the runtime cannot.
   */
  configDumpJson?: (message: M) => string;
  /** One line on JSON/Any support. */
  jsonSupport: string;
}
