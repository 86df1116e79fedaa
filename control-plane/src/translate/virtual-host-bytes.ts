// Serialized VirtualHost of one service (serviceVirtualHost in route.ts), without building messages:
// a full rebuild at 10,000 lanes has 20,000 lane routes, each a Route packed into an Any in the lane
// matcher, and building one through the protobuf runtime costs about 20 µs where writing its bytes
// costs 1 to 2. Two layouts are written, sizes first, then every byte into one buffer:
//  - no lane reaches a lane instance: name, domains, routes: [the route to stable];
//  - otherwise: name, domains, matcher: the lane header's exact-match map (lane-dispatch.ts), one
//    entry per lane in lane order, with the route to stable when no lane matches.
// Each shape (protocol, layout, which kinds of lane route) is checked once per encoder against the
// protobuf runtime on its first use, and gives way to the runtime for good if they ever differ.
import { create, toBinary } from '@bufbuild/protobuf';
import { HeaderValueOption_HeaderAppendAction } from '../envoy/generated/envoy/config/core/v3/base_pb.js';
import { RouteSchema, VirtualHostSchema } from '../envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { HttpRequestHeaderMatchInputSchema } from '../envoy/generated/envoy/type/matcher/v3/http_inputs_pb.js';
import { FieldWriter, fieldSize, varintSize } from '../envoy/field-writer.js';
import { STABLE, type MeshState } from '../model/types.js';
import { fallsBackOnUnhealthy, laneRoutesFor } from './instances.js';
import { clusterName, METADATA_NAMESPACE, SERVED_BY_KEY, servedBy } from './names.js';
import { serviceVirtualHost } from './route.js';

// Tags (field number << 3 | wire type) of the fields written by hand.
const VIRTUAL_HOST_NAME = (1 << 3) | 2; // VirtualHost.name
const DOMAINS = (2 << 3) | 2; // VirtualHost.domains
const ROUTES = (3 << 3) | 2; // VirtualHost.routes
const MATCHER = (21 << 3) | 2; // VirtualHost.matcher (xds.type.matcher.v3.Matcher): a 2-byte tag
const MATCHER_TREE = (2 << 3) | 2; // Matcher.matcher_tree
const ON_NO_MATCH = (3 << 3) | 2; // Matcher.on_no_match (OnMatch)
const TREE_INPUT = (1 << 3) | 2; // Matcher.MatcherTree.input (TypedExtensionConfig)
const EXACT_MATCH_MAP = (2 << 3) | 2; // Matcher.MatcherTree.exact_match_map (MatchMap)
const MAP_ENTRY = (1 << 3) | 2; // MatchMap.map, each entry { key = 1, value = 2 }
const MAP_KEY = (1 << 3) | 2;
const MAP_VALUE = (2 << 3) | 2;
const ON_MATCH_ACTION = (2 << 3) | 2; // Matcher.OnMatch.action (TypedExtensionConfig)
const CONFIG_NAME = (1 << 3) | 2; // TypedExtensionConfig.name
const TYPED_CONFIG = (2 << 3) | 2; // TypedExtensionConfig.typed_config (Any)
const ANY_TYPE_URL = (1 << 3) | 2; // Any.type_url
const ANY_VALUE = (2 << 3) | 2; // Any.value
const HEADER_NAME = (1 << 3) | 2; // HttpRequestHeaderMatchInput.header_name
const ROUTE_MATCH = (1 << 3) | 2; // Route.match
const ROUTE_ACTION = (2 << 3) | 2; // Route.route (RouteAction)
const RESPONSE_HEADERS_TO_ADD = (10 << 3) | 2; // Route.response_headers_to_add (HeaderValueOption)
const PREFIX = (1 << 3) | 2; // RouteMatch.prefix
const CLUSTER = (1 << 3) | 2; // RouteAction.cluster
const TIMEOUT = (8 << 3) | 2; // RouteAction.timeout (Duration)
const HEADER = (1 << 3) | 2; // HeaderValueOption.header (HeaderValue)
const APPEND_ACTION = (3 << 3) | 0; // HeaderValueOption.append_action
const HEADER_KEY = (1 << 3) | 2; // HeaderValue.key
const HEADER_VALUE = (2 << 3) | 2; // HeaderValue.value

const OVERWRITE = HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
/** The lane matcher's input name, as laneDispatch names it. */
const LANE_INPUT_NAME = 'lane';
/** Served-by value of an instance that may fall back to stable, as route.ts writes it. */
const SERVED_BY_UPSTREAM = `%UPSTREAM_METADATA(${METADATA_NAMESPACE}:${SERVED_BY_KEY})%`;

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');
/** A proto3 string or bytes field without presence: absent when empty. */
const optionalFieldSize = (length: number) => (length > 0 ? fieldSize(length) : 0);

function writeOptionalString(w: FieldWriter, tag: number, text: string, length: number): void {
  if (length > 0) w.string(tag, text, length);
}

/** Fields already encoded. */
function writeRaw(w: FieldWriter, fields: Uint8Array): void {
  w.buf.set(fields, w.pos);
  w.pos += fields.byteLength;
}

/** One string field, encoded (nothing when the string is empty). */
function stringField(tag: number, text: string): Uint8Array {
  const length = utf8Length(text);
  const w = new FieldWriter(Buffer.alloc(optionalFieldSize(length)));
  writeOptionalString(w, tag, text, length);
  return w.buf;
}

/** Route.match: RouteMatch { prefix: "/" }. */
const MATCH_ANY_PATH = Uint8Array.of(ROUTE_MATCH, 3, PREFIX, 1, 0x2f);
/** RouteAction.timeout: an empty Duration (0 s), written because the field is set. */
const NO_TIMEOUT = Uint8Array.of(TIMEOUT, 0);
/** HeaderValueOption.append_action: OVERWRITE_IF_EXISTS_OR_ADD (2, a one-byte varint). */
const APPEND_OVERWRITE = Uint8Array.of(APPEND_ACTION, OVERWRITE);
/** Any.type_url of a packed Route, and of the lane header input. */
const ROUTE_TYPE_URL = stringField(ANY_TYPE_URL, `type.googleapis.com/${RouteSchema.typeName}`);
const HEADER_INPUT_TYPE_URL = stringField(ANY_TYPE_URL, `type.googleapis.com/${HttpRequestHeaderMatchInputSchema.typeName}`);

/** What every route of one virtual host shares. */
interface RouteCommon {
  /** gRPC: timeout 0 s, so long-lived streams are not cut. */
  noTimeout: boolean;
  /** HeaderValue.key: the served-by header, encoded. */
  servedByKey: Uint8Array;
}

/** The route to one instance, with the sizes of every message around it, worked out before writing. */
interface RouteLayout {
  /** The action's name: who serves, "orders/feature-x". */
  name: string;
  nameLength: number;
  cluster: string;
  clusterLength: number;
  servedBy: string;
  servedByLength: number;
  actionSize: number; // RouteAction
  headerSize: number; // HeaderValue
  optionSize: number; // HeaderValueOption
  routeSize: number; // Route
  anySize: number; // Any (the Route)
  configSize: number; // TypedExtensionConfig
}

function routeLayout(common: RouteCommon, name: string, cluster: string, servedBy: string): RouteLayout {
  const nameLength = utf8Length(name);
  const clusterLength = utf8Length(cluster);
  const servedByLength = servedBy === name ? nameLength : utf8Length(servedBy);
  // cluster is a oneof member: written even when empty.
  const actionSize = fieldSize(clusterLength) + (common.noTimeout ? NO_TIMEOUT.byteLength : 0);
  const headerSize = common.servedByKey.byteLength + optionalFieldSize(servedByLength);
  const optionSize = fieldSize(headerSize) + APPEND_OVERWRITE.byteLength;
  const routeSize = MATCH_ANY_PATH.byteLength + fieldSize(actionSize) + fieldSize(optionSize);
  const anySize = ROUTE_TYPE_URL.byteLength + fieldSize(routeSize);
  const configSize = optionalFieldSize(nameLength) + fieldSize(anySize);
  return { name, nameLength, cluster, clusterLength, servedBy, servedByLength, actionSize, headerSize, optionSize, routeSize, anySize, configSize };
}

/** Route { match: prefix "/", route: { cluster, timeout }, response_headers_to_add: [served-by, overwritten] }. */
function writeRoute(w: FieldWriter, common: RouteCommon, route: RouteLayout): void {
  writeRaw(w, MATCH_ANY_PATH);
  w.buf[w.pos++] = ROUTE_ACTION;
  w.varint(route.actionSize);
  w.string(CLUSTER, route.cluster, route.clusterLength);
  if (common.noTimeout) writeRaw(w, NO_TIMEOUT);
  w.buf[w.pos++] = RESPONSE_HEADERS_TO_ADD;
  w.varint(route.optionSize);
  w.buf[w.pos++] = HEADER;
  w.varint(route.headerSize);
  writeRaw(w, common.servedByKey);
  writeOptionalString(w, HEADER_VALUE, route.servedBy, route.servedByLength);
  writeRaw(w, APPEND_OVERWRITE);
}

const onMatchSize = (route: RouteLayout) => fieldSize(route.configSize);

/** OnMatch { action: { name, typed_config: Any(route) } }, as laneDispatch's routeAction. */
function writeOnMatch(w: FieldWriter, common: RouteCommon, route: RouteLayout): void {
  w.buf[w.pos++] = ON_MATCH_ACTION;
  w.varint(route.configSize);
  writeOptionalString(w, CONFIG_NAME, route.name, route.nameLength);
  w.buf[w.pos++] = TYPED_CONFIG;
  w.varint(route.anySize);
  writeRaw(w, ROUTE_TYPE_URL);
  w.buf[w.pos++] = ANY_VALUE;
  w.varint(route.routeSize);
  writeRoute(w, common, route);
}

/** Matcher.MatcherTree.input: TypedExtensionConfig "lane", the lane header's value. */
function laneInputBytes(laneHeader: string): Uint8Array {
  const nameLength = utf8Length(LANE_INPUT_NAME);
  const headerName = stringField(HEADER_NAME, laneHeader);
  const anySize = HEADER_INPUT_TYPE_URL.byteLength + optionalFieldSize(headerName.byteLength);
  const w = new FieldWriter(Buffer.allocUnsafe(optionalFieldSize(nameLength) + fieldSize(anySize)));
  writeOptionalString(w, CONFIG_NAME, LANE_INPUT_NAME, nameLength);
  w.buf[w.pos++] = TYPED_CONFIG;
  w.varint(anySize);
  writeRaw(w, HEADER_INPUT_TYPE_URL);
  if (headerName.byteLength > 0) w.bytes(ANY_VALUE, headerName);
  return w.buf;
}

/** One entry of the lane map: { key: lane, value: OnMatch of its route }. */
interface LaneEntry {
  lane: string;
  laneLength: number;
  route: RouteLayout;
  entrySize: number;
}

function laneEntry(lane: string, route: RouteLayout): LaneEntry {
  const laneLength = utf8Length(lane);
  // Map keys are written even when empty.
  return { lane, laneLength, route, entrySize: fieldSize(laneLength) + fieldSize(onMatchSize(route)) };
}

/** Matcher { matcher_tree: { input, exact_match_map: { map: each lane's OnMatch } }, on_no_match: stable's }. */
interface LaneMatcher {
  input: Uint8Array;
  lanes: readonly LaneEntry[];
}

/** VirtualHost { name, domains, then routes: [stable], or with lanes the matcher falling back to stable }. */
function virtualHostBytes(name: string, domains: readonly string[], common: RouteCommon, stable: RouteLayout, matcher: LaneMatcher | undefined): Uint8Array {
  const nameLength = utf8Length(name);
  const domainLengths = domains.map(utf8Length);
  const mapSize = matcher ? matcher.lanes.reduce((n, entry) => n + fieldSize(entry.entrySize), 0) : 0;
  const treeSize = matcher ? fieldSize(matcher.input.byteLength) + fieldSize(mapSize) : 0;
  const matcherSize = fieldSize(treeSize) + fieldSize(onMatchSize(stable));
  const routingSize = matcher ? varintSize(MATCHER) + varintSize(matcherSize) + matcherSize : fieldSize(stable.routeSize);
  const size = optionalFieldSize(nameLength) + domainLengths.reduce((n, length) => n + fieldSize(length), 0) + routingSize;

  const w = new FieldWriter(Buffer.allocUnsafeSlow(size));
  writeOptionalString(w, VIRTUAL_HOST_NAME, name, nameLength);
  domains.forEach((domain, i) => w.string(DOMAINS, domain, domainLengths[i]!));
  if (!matcher) {
    w.buf[w.pos++] = ROUTES;
    w.varint(stable.routeSize);
    writeRoute(w, common, stable);
    return w.buf;
  }
  w.varint(MATCHER);
  w.varint(matcherSize);
  w.buf[w.pos++] = MATCHER_TREE;
  w.varint(treeSize);
  w.bytes(TREE_INPUT, matcher.input);
  w.buf[w.pos++] = EXACT_MATCH_MAP;
  w.varint(mapSize);
  for (const { lane, laneLength, route, entrySize } of matcher.lanes) {
    w.buf[w.pos++] = MAP_ENTRY;
    w.varint(entrySize);
    w.string(MAP_KEY, lane, laneLength);
    w.buf[w.pos++] = MAP_VALUE;
    w.varint(onMatchSize(route));
    writeOnMatch(w, common, route);
  }
  w.buf[w.pos++] = ON_NO_MATCH;
  w.varint(onMatchSize(stable));
  writeOnMatch(w, common, stable);
  return w.buf;
}

/**
 * JavaScript objects list integer-like keys ("42", a valid lane name) first, in numeric order: the
 * runtime writes the lane map in that order, not in lane order.
 */
const keepsInsertionOrder = (lane: string) => !/^\d+$/.test(lane);

/** A lane whose requests reach a lane instance of the service: [lane, instance, whether that instance falls back to stable]. */
export type LaneRoute = readonly [lane: string, instance: string, fallsBack: boolean];

/** The service's lane routes, in lane order (laneRoutesFor), with each instance's fallback. */
export function laneRoutes(state: MeshState, service: string): LaneRoute[] {
  return laneRoutesFor(state, service).map(([lane, instance]) => [lane, instance, fallsBackOnUnhealthy(state, instance)]);
}

export class VirtualHostEncoder {
  /** Shape -> whether its hand-written bytes equalled the runtime's on first use. */
  private readonly checkedShapes = new Map<string, boolean>();

  /** Which shapes passed their check (for tests: a failed check would otherwise only cost speed). */
  get fastPaths(): { handWrittenShapes: string[] } {
    return { handWrittenShapes: [...this.checkedShapes].filter(([, passed]) => passed).map(([shape]) => shape).sort() };
  }

  /** toBinary(VirtualHostSchema, create(VirtualHostSchema, serviceVirtualHost(state, service))); `lanes`: laneRoutes(state, service), when the caller has them. */
  virtualHost(state: MeshState, service: string, lanes: readonly LaneRoute[] = laneRoutes(state, service)): Uint8Array {
    const { protocol, port } = state.services[service]!;
    const fallbacks = lanes.map(([, , fallback]) => fallback);
    const kinds = lanes.length === 0 ? 'stable only' : `lanes${fallbacks.includes(false) ? ' plain' : ''}${fallbacks.includes(true) ? ' fallback' : ''}`;
    const shape = `${protocol}: ${kinds}`;
    const passed = this.checkedShapes.get(shape);
    if (passed === false || !lanes.every(([lane]) => keepsInsertionOrder(lane))) return runtimeBytes(state, service);

    const common: RouteCommon = {
      noTimeout: protocol === 'grpc',
      servedByKey: stringField(HEADER_KEY, state.settings.servedByHeader.toLowerCase()),
    };
    const routeTo = (instance: string, fallback: boolean) => {
      const name = servedBy(service, instance);
      return routeLayout(common, name, clusterName(service, instance), fallback ? SERVED_BY_UPSTREAM : name);
    };
    const matcher = lanes.length === 0 ? undefined : {
      input: laneInputBytes(state.settings.laneHeader.toLowerCase()),
      lanes: lanes.map(([lane, instance], i) => laneEntry(lane, routeTo(instance, fallbacks[i]!))),
    };
    const bytes = virtualHostBytes(service, [service, `${service}:${port}`], common, routeTo(STABLE, false), matcher);
    if (passed === undefined) {
      const full = runtimeBytes(state, service);
      this.checkedShapes.set(shape, sameBytes(bytes, full));
      return full;
    }
    return bytes;
  }
}

function runtimeBytes(state: MeshState, service: string): Uint8Array {
  return toBinary(VirtualHostSchema, create(VirtualHostSchema, serviceVirtualHost(state, service)));
}
