// Benchmark candidate: google-protobuf with `protoc --js_out=import_style=commonjs,binary` code,
// generated on demand by scripts/generate-protos-google.mjs into node_modules/.cache/laneway-bench.
// That code is untyped CommonJS (protoc's JS generator emits no .d.ts and no ES modules), so this
// file declares the few generated members it calls.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Candidate, RouteItemSpec, RouteSpec } from './protobuf-fixture.js';

interface JspbMessage {
  serializeBinary(): Uint8Array;
}
interface JspbClass<T extends JspbMessage> {
  new (): T;
  deserializeBinary(bytes: Uint8Array): T;
}
interface RouteConfiguration extends JspbMessage {
  setName(v: string): this;
  addVirtualHosts(v: VirtualHost): VirtualHost;
}
interface VirtualHost extends JspbMessage {
  setName(v: string): this;
  setDomainsList(v: string[]): this;
  addRoutes(v: Route): Route;
}
interface Route extends JspbMessage {
  setMatch(v: RouteMatch): this;
  setRoute(v: RouteAction): this;
  addResponseHeadersToAdd(v: HeaderValueOption): HeaderValueOption;
}
interface RouteMatch extends JspbMessage {
  setPrefix(v: string): this;
  addHeaders(v: HeaderMatcher): HeaderMatcher;
}
interface HeaderMatcher extends JspbMessage {
  setName(v: string): this;
  setStringMatch(v: StringMatcher): this;
}
interface StringMatcher extends JspbMessage {
  setExact(v: string): this;
}
interface RouteAction extends JspbMessage {
  setCluster(v: string): this;
}
interface HeaderValueOption extends JspbMessage {
  setHeader(v: HeaderValue): this;
  setAppendAction(v: number): this;
}
interface HeaderValue extends JspbMessage {
  setKey(v: string): this;
  setValue(v: string): this;
}

interface Generated {
  RouteConfiguration: JspbClass<RouteConfiguration>;
  VirtualHost: JspbClass<VirtualHost>;
  Route: JspbClass<Route>;
  RouteMatch: JspbClass<RouteMatch>;
  HeaderMatcher: JspbClass<HeaderMatcher>;
  StringMatcher: JspbClass<StringMatcher>;
  RouteAction: JspbClass<RouteAction>;
  HeaderValueOption: JspbClass<HeaderValueOption> & { HeaderAppendAction: Record<string, number> };
  HeaderValue: JspbClass<HeaderValue>;
}

function load(dir: string): Generated {
  const require = createRequire(import.meta.url);
  const mod = (path: string) => require(join(dir, path)) as Record<string, unknown>;
  const route = mod('envoy/config/route/v3/route_pb.js');
  const components = mod('envoy/config/route/v3/route_components_pb.js');
  const string = mod('envoy/type/matcher/v3/string_pb.js');
  const base = mod('envoy/config/core/v3/base_pb.js');
  return {
    RouteConfiguration: route['RouteConfiguration'],
    VirtualHost: components['VirtualHost'],
    Route: components['Route'],
    RouteMatch: components['RouteMatch'],
    HeaderMatcher: components['HeaderMatcher'],
    StringMatcher: string['StringMatcher'],
    RouteAction: components['RouteAction'],
    HeaderValueOption: base['HeaderValueOption'],
    HeaderValue: base['HeaderValue'],
  } as Generated;
}

export function googleCandidate(version: string, generatedDir: string, protocVersion: string): Candidate<RouteConfiguration> {
  const g = load(generatedDir);
  const overwriteOrUndefined = g.HeaderValueOption.HeaderAppendAction['OVERWRITE_IF_EXISTS_OR_ADD'];
  if (overwriteOrUndefined === undefined) throw new Error('google-protobuf code has no HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD');
  const overwrite: number = overwriteOrUndefined;

  function route(r: RouteItemSpec): Route {
    const match = new g.RouteMatch().setPrefix('/');
    if (r.laneMatch) {
      match.addHeaders(new g.HeaderMatcher().setName(r.laneMatch.header).setStringMatch(new g.StringMatcher().setExact(r.laneMatch.value)));
    }
    const route = new g.Route().setMatch(match).setRoute(new g.RouteAction().setCluster(r.cluster));
    route.addResponseHeadersToAdd(
      new g.HeaderValueOption().setHeader(new g.HeaderValue().setKey(r.responseHeader.key).setValue(r.responseHeader.value)).setAppendAction(overwrite),
    );
    return route;
  }

  return {
    label: `google-protobuf ${version}`,
    codegen: `protoc ${protocVersion} --js_out=import_style=commonjs,binary (built-in JS generator)`,
    jsonSupport:
      'no: the runtime has no proto3 JSON; toObject() gives a JS shape with "...List" keys, Any as {typeUrl, value(base64)}; a JSON/Any mapper would have to be written',
    build: (spec: RouteSpec) => {
      const rc = new g.RouteConfiguration().setName(spec.name);
      for (const vhSpec of spec.virtualHosts) {
        const vh = new g.VirtualHost().setName(vhSpec.name).setDomainsList([...vhSpec.domains]);
        for (const r of vhSpec.routes) vh.addRoutes(route(r));
        rc.addVirtualHosts(vh);
      }
      return rc;
    },
    encode: (m) => m.serializeBinary(),
    decode: (bytes) => g.RouteConfiguration.deserializeBinary(bytes),
  };
}
