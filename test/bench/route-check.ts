// Fetches one sidecar group's RouteConfiguration from a control plane over SotW ADS (decoded with
// the generated schemas) and renders it as proto3 JSON, so two servers' answers compare as messages.
import { fromBinary, toJson, type JsonValue } from '@bufbuild/protobuf';
import { RouteConfigurationSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import { envoyRegistry } from '../../control-plane/src/envoy/registry.js';
import { AdsClient } from '../support/ads-client.js';

const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

export async function fetchRouteConfig(xdsTarget: string, service: string): Promise<JsonValue> {
  const [host, port] = xdsTarget.split(':') as [string, string];
  const node = { id: `route-check-${service}`, cluster: service, metadata: { 'laneway.kind': 'sidecar', 'laneway.service': service, 'laneway.listener_port': '15001' } };
  const client = new AdsClient(Number(port), node, host);
  try {
    client.request({ typeUrl: RDS, resourceNames: ['outbound'] });
    const res = await client.next(RDS, 10_000);
    const any = res.resources[0];
    if (!any) throw new Error(`${xdsTarget}: no RouteConfiguration "outbound" for ${service}`);
    return toJson(RouteConfigurationSchema, fromBinary(RouteConfigurationSchema, any.value), { registry: envoyRegistry });
  } finally {
    client.close();
  }
}

/** Paths where two JSON values differ (at most `limit`), "" for none. */
export function jsonDifferences(a: JsonValue, b: JsonValue, path = '', limit = 5, out: string[] = []): string[] {
  if (out.length >= limit) return out;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path || '/'}: ${JSON.stringify(a)?.slice(0, 80)} != ${JSON.stringify(b)?.slice(0, 80)}`);
    return out;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    jsonDifferences((a as Record<string, JsonValue>)[key] ?? null, (b as Record<string, JsonValue>)[key] ?? null, `${path}/${key}`, limit, out);
  }
  return out;
}
