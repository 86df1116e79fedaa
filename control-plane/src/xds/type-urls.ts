// The four v3 resource types one ADS stream carries, and the order in which changes are pushed.
export const TypeUrl = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const;

export type KnownTypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/** Make before break: Envoy pauses EDS while applying CDS, and a listener warms until its RDS arrives. */
export const PUSH_ORDER: readonly string[] = [
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Listener,
  TypeUrl.RouteConfiguration,
];

const SHORT_NAMES: Record<string, string> = {
  [TypeUrl.Listener]: 'LDS',
  [TypeUrl.RouteConfiguration]: 'RDS',
  [TypeUrl.Cluster]: 'CDS',
  [TypeUrl.ClusterLoadAssignment]: 'EDS',
};

/** LDS and CDS responses hold every resource of the type; a resource left out is deleted. */
export function isWildcardType(typeUrl: string): boolean {
  return typeUrl === TypeUrl.Listener || typeUrl === TypeUrl.Cluster;
}

export function isKnownType(typeUrl: string): typeUrl is KnownTypeUrl {
  return typeUrl in SHORT_NAMES;
}

/** "CDS", "EDS", ... for logs; other type URLs as they are. */
export function shortTypeName(typeUrl: string): string {
  return SHORT_NAMES[typeUrl] ?? typeUrl;
}

/** Known types in push order first, then any other types sorted, so every push is deterministic. */
export function inPushOrder(typeUrls: Iterable<string>): string[] {
  const all = new Set(typeUrls);
  const known = PUSH_ORDER.filter((t) => all.has(t));
  const others = [...all].filter((t) => !isKnownType(t)).sort();
  return [...known, ...others];
}
