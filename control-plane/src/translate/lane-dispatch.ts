// Lane dispatch as a virtual-host matcher: the lane header's value is looked up in an exact-match
// map (a hash lookup in Envoy), so a request costs the same with 1 lane or 10,000; a route list with
// one header-matching route per lane would be scanned linearly on every request.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import { packAny } from '../envoy/any.js';
import { HttpRequestHeaderMatchInputSchema } from '../envoy/generated/envoy/type/matcher/v3/http_inputs_pb.js';
import type { MatcherSchema } from '../envoy/generated/xds/type/matcher/v3/matcher_pb.js';

type MatcherInit = MessageInitShape<typeof MatcherSchema>;

export interface NamedRoute {
  /** The action's name, shown in config dumps: who serves, "orders/feature-x". */
  name: string;
  /** The envoy.config.route.v3.Route, packed (route.ts remembers packed routes). */
  route: Any;
}

function routeAction({ name, route }: NamedRoute) {
  return { onMatch: { case: 'action' as const, value: { name, typedConfig: route } } };
}

/**
 * Matcher on `laneHeader`: each lane (its value, exactly) to its route; anything else, including
 * no header, a header repeated with different values, or an unknown lane, to `fallback`.
 */
export function laneDispatch(laneHeader: string, lanes: Array<NamedRoute & { lane: string }>, fallback: NamedRoute): MatcherInit {
  return {
    matcherType: {
      case: 'matcherTree',
      value: {
        input: { name: 'lane', typedConfig: packAny(HttpRequestHeaderMatchInputSchema, { headerName: laneHeader }) },
        treeType: {
          case: 'exactMatchMap',
          value: { map: Object.fromEntries(lanes.map((lane) => [lane.lane, routeAction(lane)])) },
        },
      },
    },
    onNoMatch: routeAction(fallback),
  };
}
