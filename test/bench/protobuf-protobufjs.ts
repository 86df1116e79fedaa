// Reference candidate: protobufjs, the runtime @grpc/grpc-js already loads (through
// @grpc/proto-loader; not a direct dependency of Laneway). No code generation: the same .proto
// sources are parsed at startup, with snake_case field names (keepCase, as grpc-js-xds loads them).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { LAST_UPDATED_MS, type Candidate, type RouteItemSpec, type RouteSpec } from './protobuf-fixture.js';

type Message = protobuf.Message<object>;

export function protobufjsCandidate(version: string, root: string): Candidate<Message> {
  const deps = join(root, 'node_modules/@grpc/grpc-js-xds/deps');
  // protobufjs bundles any/duration/struct/timestamp/wrappers; descriptor.proto ships in its package.
  const includeDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d)).concat(join(root, 'node_modules/protobufjs'));
  const pbRoot = new protobuf.Root();
  pbRoot.resolvePath = (_origin, target) => includeDirs.map((d) => join(d, target)).find((p) => existsSync(p)) ?? target;
  pbRoot.loadSync(['envoy/config/route/v3/route.proto', 'envoy/admin/v3/config_dump_shared.proto'], { keepCase: true });
  pbRoot.resolveAll();
  const RouteConfiguration = pbRoot.lookupType('envoy.config.route.v3.RouteConfiguration');
  const RoutesConfigDump = pbRoot.lookupType('envoy.admin.v3.RoutesConfigDump');
  const typeUrl = `type.googleapis.com/${RouteConfiguration.fullName.replace(/^\./, '')}`;

  function route(r: RouteItemSpec) {
    return {
      match: {
        prefix: '/',
        headers: r.laneMatch ? [{ name: r.laneMatch.header, string_match: { exact: r.laneMatch.value } }] : [],
      },
      route: { cluster: r.cluster },
      response_headers_to_add: [{ header: { key: r.responseHeader.key, value: r.responseHeader.value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
    };
  }

  return {
    label: `protobufjs ${version}`,
    codegen: 'none: .proto files parsed at startup (reflection), like @grpc/proto-loader',
    jsonSupport:
      'partial: toObject({json:true}) expands Any to "@type" only with keepCase, but well-known types are not in canonical form (Timestamp/Duration as {seconds,nanos}, wrappers as {value})',
    build: (spec: RouteSpec) =>
      RouteConfiguration.fromObject({
        name: spec.name,
        virtual_hosts: spec.virtualHosts.map((vh) => ({ name: vh.name, domains: vh.domains, routes: vh.routes.map(route) })),
      }),
    encode: (m) => RouteConfiguration.encode(m).finish(),
    decode: (bytes) => RouteConfiguration.decode(bytes),
    configDumpJson: (m) => {
      const dump = RoutesConfigDump.fromObject({
        dynamic_route_configs: [
          {
            version_info: '1',
            route_config: { type_url: typeUrl, value: RouteConfiguration.encode(m).finish() },
            last_updated: { seconds: Math.floor(LAST_UPDATED_MS / 1000), nanos: 0 },
          },
        ],
      });
      return JSON.stringify(RoutesConfigDump.toObject(dump, { json: true, enums: String, longs: String, bytes: String }));
    },
  };
}
