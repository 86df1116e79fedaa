// Which route Envoy picks for a request in a RouteConfiguration: virtual host by Host, then the
// virtual host's matcher tree or its route list. Covers what Laneway generates (exact-match maps on
// a header, header and path matches); anything else is reported as undecidable, never guessed.
import { anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import type { RouteConfiguration } from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import {
  RouteSchema,
  type HeaderMatcher,
  type Route,
  type VirtualHost,
} from '../envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { HttpRequestHeaderMatchInputSchema } from '../envoy/generated/envoy/type/matcher/v3/http_inputs_pb.js';
import type { StringMatcher } from '../envoy/generated/envoy/type/matcher/v3/string_pb.js';
import type { Matcher, Matcher_OnMatch } from '../envoy/generated/xds/type/matcher/v3/matcher_pb.js';

export interface RouteRequest {
  host: string;
  path: string;
  /** Lowercase names. */
  headers: Record<string, string>;
}

export type RouteDecision =
  | { matched: true; virtualHost: string; via: string; route: Route }
  | { matched: false; virtualHost?: string; reason: string };

class Undecidable extends Error {}

function domainMatches(domain: string, host: string): number {
  const d = domain.toLowerCase();
  if (d === host) return 3;
  if (d === '*') return 0;
  if (d.startsWith('*') && host.endsWith(d.slice(1))) return 2;
  if (d.endsWith('*') && host.startsWith(d.slice(0, -1))) return 1;
  return -1;
}

/** Envoy's order: exact domain, then suffix wildcards, then prefix wildcards, then "*". */
export function selectVirtualHost(config: RouteConfiguration, host: string): VirtualHost | undefined {
  const h = host.toLowerCase();
  let best: { vh: VirtualHost; rank: number; len: number } | undefined;
  for (const vh of config.virtualHosts) {
    for (const domain of vh.domains) {
      const rank = domainMatches(domain, h);
      if (rank < 0) continue;
      if (!best || rank > best.rank || (rank === best.rank && domain.length > best.len)) best = { vh, rank, len: domain.length };
    }
  }
  return best?.vh;
}

function stringMatches(m: StringMatcher, value: string): boolean {
  const fold = (s: string) => (m.ignoreCase ? s.toLowerCase() : s);
  const v = fold(value);
  switch (m.matchPattern.case) {
    case 'exact': return v === fold(m.matchPattern.value);
    case 'prefix': return v.startsWith(fold(m.matchPattern.value));
    case 'suffix': return v.endsWith(fold(m.matchPattern.value));
    case 'contains': return v.includes(fold(m.matchPattern.value));
    case 'safeRegex': return new RegExp(`^(?:${m.matchPattern.value.regex})$`).test(value);
    default: throw new Undecidable(`string matcher ${m.matchPattern.case ?? '(empty)'}`);
  }
}

function headerMatches(h: HeaderMatcher, headers: Record<string, string>): boolean {
  const value = headers[h.name.toLowerCase()] ?? (h.treatMissingHeaderAsEmpty ? '' : undefined);
  const spec = h.headerMatchSpecifier;
  let result: boolean;
  if (value === undefined) result = spec.case === 'presentMatch' ? !spec.value : false;
  else {
    switch (spec.case) {
      case undefined: result = true; break;
      case 'presentMatch': result = spec.value; break;
      case 'exactMatch': result = value === spec.value; break;
      case 'prefixMatch': result = value.startsWith(spec.value); break;
      case 'suffixMatch': result = value.endsWith(spec.value); break;
      case 'containsMatch': result = value.includes(spec.value); break;
      case 'stringMatch': result = stringMatches(spec.value, value); break;
      default: throw new Undecidable(`header matcher ${spec.case} on ${h.name}`);
    }
  }
  return h.invertMatch ? !result : result;
}

function routeMatches(route: Route, req: RouteRequest): boolean {
  const match = route.match;
  if (!match) return false;
  const path = match.pathSpecifier;
  const caseFold = (s: string) => (match.caseSensitive === false ? s.toLowerCase() : s);
  let pathOk: boolean;
  switch (path.case) {
    case 'prefix': pathOk = caseFold(req.path).startsWith(caseFold(path.value)); break;
    case 'path': pathOk = caseFold(req.path) === caseFold(path.value); break;
    case 'pathSeparatedPrefix': pathOk = req.path === path.value || req.path.startsWith(`${path.value}/`); break;
    default: throw new Undecidable(`route path match ${path.case ?? '(none)'}`);
  }
  if (match.queryParameters.length > 0 || match.grpc || match.runtimeFraction) throw new Undecidable('route match on query, gRPC or runtime');
  return pathOk && match.headers.every((h) => headerMatches(h, req.headers));
}

function routeFromAction(any: Any | undefined): Route {
  const route = any && anyUnpack(any, RouteSchema);
  if (!route) throw new Undecidable(`matcher action of type ${any?.typeUrl ?? '(none)'}`);
  return route;
}

function inputHeader(any: Any | undefined): string {
  const input = any && anyUnpack(any, HttpRequestHeaderMatchInputSchema);
  if (!input) throw new Undecidable(`matcher input of type ${any?.typeUrl ?? '(none)'}`);
  return input.headerName.toLowerCase();
}

function onMatch(m: Matcher_OnMatch | undefined, via: string, req: RouteRequest): { route: Route; via: string } | undefined {
  if (!m) return undefined;
  if (m.onMatch.case === 'action') return { route: routeFromAction(m.onMatch.value.typedConfig), via };
  if (m.onMatch.case === 'matcher') return evalMatcher(m.onMatch.value, req, `${via} → `);
  return undefined;
}

function evalMatcher(matcher: Matcher, req: RouteRequest, prefix = ''): { route: Route; via: string } | undefined {
  const type = matcher.matcherType;
  if (type.case !== 'matcherTree') throw new Undecidable(`matcher ${type.case ?? '(none)'}`);
  const header = inputHeader(type.value.input?.typedConfig);
  const value = req.headers[header];
  const tree = type.value.treeType;
  if (tree.case !== 'exactMatchMap' && tree.case !== 'prefixMatchMap') throw new Undecidable(`matcher tree ${tree.case ?? '(none)'}`);
  if (value !== undefined) {
    const keys = Object.keys(tree.value.map);
    const key = tree.case === 'exactMatchMap'
      ? keys.find((k) => k === value)
      : keys.filter((k) => value.startsWith(k)).sort((a, b) => b.length - a.length)[0];
    if (key !== undefined) return onMatch(tree.value.map[key], `${prefix}matcher ${header} = ${JSON.stringify(key)}`, req);
  }
  const why = value === undefined ? `no ${header} header` : `${header} ${JSON.stringify(value)} not in the map`;
  return onMatch(matcher.onNoMatch, `${prefix}matcher on_no_match (${why})`, req);
}

/** The route Envoy would pick for `req`, or why there is none (or why it cannot be told). */
export function matchRoute(config: RouteConfiguration, req: RouteRequest): RouteDecision {
  const vh = selectVirtualHost(config, req.host);
  if (!vh) return { matched: false, reason: `no virtual host of route configuration "${config.name}" serves host "${req.host}"` };
  try {
    if (vh.matcher) {
      const found = evalMatcher(vh.matcher, req);
      return found ? { matched: true, virtualHost: vh.name, ...found } : { matched: false, virtualHost: vh.name, reason: 'the matcher matched nothing' };
    }
    const index = vh.routes.findIndex((r) => routeMatches(r, req));
    if (index < 0) return { matched: false, virtualHost: vh.name, reason: 'no route matches' };
    const route = vh.routes[index]!;
    return { matched: true, virtualHost: vh.name, via: `routes[${index}]${route.name ? ` "${route.name}"` : ''}`, route };
  } catch (err) {
    if (!(err instanceof Undecidable)) throw err;
    return { matched: false, virtualHost: vh.name, reason: `cannot evaluate ${err.message}` };
  }
}

/** The cluster a route sends to, or a description of what it does instead. */
export function routeTarget(route: Route): { cluster?: string; description: string } {
  const action = route.action;
  if (action.case === 'directResponse') return { description: `direct response ${action.value.status}` };
  if (action.case !== 'route') return { description: `${action.case ?? 'no'} action` };
  const spec = action.value.clusterSpecifier;
  if (spec.case === 'cluster') return { cluster: spec.value, description: `cluster ${spec.value}` };
  if (spec.case === 'weightedClusters') return { description: `weighted clusters ${spec.value.clusters.map((c) => c.name).join(', ')}` };
  return { description: `cluster from ${spec.case ?? 'nothing'}` };
}

/** The value a route sets on a response header (route level only), if any. */
export function responseHeaderValue(route: Route, name: string): string | undefined {
  const lower = name.toLowerCase();
  return route.responseHeadersToAdd.find((h) => h.header?.key.toLowerCase() === lower)?.header?.value;
}
