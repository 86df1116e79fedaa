// Route selection as Envoy does it, over hand-built route configurations: virtual host by Host,
// matcher trees (exact and prefix maps, nested, on_no_match), route lists with header matches.
import assert from 'node:assert/strict';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { describe, test } from 'node:test';
import { packAny } from '../../control-plane/src/envoy/any.js';
import { RouteSchema, type RouteSchema as RouteDesc } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { RouteConfigurationSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import { HttpRequestHeaderMatchInputSchema } from '../../control-plane/src/envoy/generated/envoy/type/matcher/v3/http_inputs_pb.js';
import { matchRoute, responseHeaderValue, routeTarget, selectVirtualHost, type RouteRequest } from '../../control-plane/src/debug/route-match.js';

type RouteInit = MessageInitShape<typeof RouteDesc>;

type HeaderInits = NonNullable<NonNullable<RouteInit['match']>['headers']>;

const toCluster = (cluster: string, headers: HeaderInits = []): RouteInit => ({
  match: { pathSpecifier: { case: 'prefix', value: '/' }, headers },
  action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster } } },
  responseHeadersToAdd: [{ header: { key: 'x-lane-served-by', value: cluster.replace('~', '/') } }],
});
const action = (route: RouteInit) => ({ onMatch: { case: 'action' as const, value: { name: 'r', typedConfig: packAny(RouteSchema, route) } } });
const headerInput = (name: string) => ({ name: 'lane', typedConfig: packAny(HttpRequestHeaderMatchInputSchema, { headerName: name }) });
const exact = (value: string) => ({ headerMatchSpecifier: { case: 'stringMatch' as const, value: { matchPattern: { case: 'exact' as const, value } } } });

const config = create(RouteConfigurationSchema, {
  name: 'outbound',
  virtualHosts: [
    {
      name: 'orders',
      domains: ['orders', 'orders:8080'],
      matcher: {
        matcherType: {
          case: 'matcherTree',
          value: { input: headerInput('x-lane'), treeType: { case: 'exactMatchMap', value: { map: { 'feature-x': action(toCluster('orders~feature-x')), 'feature-y': action(toCluster('orders~feature-x')) } } } },
        },
        onNoMatch: action(toCluster('orders~stable')),
      },
    },
    {
      name: 'payments',
      domains: ['payments'],
      routes: [
        toCluster('payments~feature-y', [{ name: 'x-lane', ...exact('feature-y') }]),
        toCluster('payments~beta', [{ name: 'x-beta', headerMatchSpecifier: { case: 'presentMatch', value: true } }]),
        toCluster('payments~stable'),
      ],
    },
    {
      name: 'nested',
      domains: ['*.nested.test'],
      matcher: {
        matcherType: {
          case: 'matcherTree',
          value: {
            input: headerInput('x-team'),
            treeType: {
              case: 'prefixMatchMap',
              value: {
                map: {
                  pay: {
                    onMatch: {
                      case: 'matcher',
                      value: {
                        matcherType: { case: 'matcherTree', value: { input: headerInput('x-lane'), treeType: { case: 'exactMatchMap', value: { map: { a: action(toCluster('n~a')) } } } } },
                        onNoMatch: action(toCluster('n~pay')),
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    { name: 'catch-all', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'directResponse', value: { status: 404 } } }] },
  ],
});

const req = (host: string, headers: Record<string, string> = {}): RouteRequest => ({ host, path: '/', headers });

function outcome(r: RouteRequest): string {
  const d = matchRoute(config, r);
  if (!d.matched) return `no match: ${d.reason}`;
  return `${d.virtualHost} | ${d.via} | ${routeTarget(d.route).description} | ${responseHeaderValue(d.route, 'X-Lane-Served-By') ?? '-'}`;
}

describe('route selection', () => {
  test('virtual host: exact domain, then wildcard suffix, then "*"', () => {
    assert.equal(selectVirtualHost(config, 'Orders')?.name, 'orders');
    assert.equal(selectVirtualHost(config, 'orders:8080')?.name, 'orders');
    assert.equal(selectVirtualHost(config, 'x.nested.test')?.name, 'nested');
    assert.equal(selectVirtualHost(config, 'elsewhere')?.name, 'catch-all');
  });

  test('matcher trees, route lists and their fallbacks', () => {
    const cases: Array<[RouteRequest, string]> = [
      [req('orders', { 'x-lane': 'feature-x' }), 'orders | matcher x-lane = "feature-x" | cluster orders~feature-x | orders/feature-x'],
      [req('orders', { 'x-lane': 'feature-y' }), 'orders | matcher x-lane = "feature-y" | cluster orders~feature-x | orders/feature-x'],
      [req('orders', { 'x-lane': 'FEATURE-X' }), 'orders | matcher on_no_match (x-lane "FEATURE-X" not in the map) | cluster orders~stable | orders/stable'],
      [req('orders'), 'orders | matcher on_no_match (no x-lane header) | cluster orders~stable | orders/stable'],
      [req('payments', { 'x-lane': 'feature-y' }), 'payments | routes[0] | cluster payments~feature-y | payments/feature-y'],
      [req('payments', { 'x-beta': '' }), 'payments | routes[1] | cluster payments~beta | payments/beta'],
      [req('payments', { 'x-lane': 'feature-x' }), 'payments | routes[2] | cluster payments~stable | payments/stable'],
      [req('a.nested.test', { 'x-team': 'payments', 'x-lane': 'a' }), 'nested | matcher x-team = "pay" → matcher x-lane = "a" | cluster n~a | n/a'],
      [req('a.nested.test', { 'x-team': 'payments' }), 'nested | matcher x-team = "pay" → matcher on_no_match (no x-lane header) | cluster n~pay | n/pay'],
      [req('a.nested.test', { 'x-team': 'ops' }), 'no match: the matcher matched nothing'],
      [req('elsewhere'), 'catch-all | routes[0] | direct response 404 | -'],
    ];
    for (const [r, expected] of cases) assert.equal(outcome(r), expected, JSON.stringify(r));
  });

  test('no virtual host for the host', () => {
    const only = create(RouteConfigurationSchema, { name: 'ingress', virtualHosts: [{ name: 'a', domains: ['a'] }] });
    assert.deepEqual(matchRoute(only, req('b')), { matched: false, reason: 'no virtual host of route configuration "ingress" serves host "b"' });
  });

  test('what it cannot evaluate it says, instead of guessing', () => {
    const regexPath = create(RouteConfigurationSchema, {
      name: 'r',
      virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'safeRegex', value: { regex: '.*' } } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'c' } } } }] }],
    });
    assert.deepEqual(matchRoute(regexPath, req('x')), { matched: false, virtualHost: 'v', reason: 'cannot evaluate route path match safeRegex' });
  });
});
