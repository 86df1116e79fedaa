// How Envoy speaks to upstreams (HttpProtocolOptions): one place for every cluster kind, so the
// idle timeout and the protocol choices cannot drift apart between them.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import { HttpProtocolOptionsSchema } from '../envoy/generated/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { packAny } from '../envoy/any.js';

/** The key of Cluster.typed_extension_protocol_options Envoy reads these options under. */
export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/**
 * How long an upstream HTTP/1.1 connection may sit idle in Envoy's pool before Envoy closes it.
 * Shorter than the keep-alive timeout of the app servers people run (Node 5 s, uvicorn 5 s,
 * gunicorn 2 s), so Envoy closes an idle connection before the app does and never sends a request
 * down one the app is closing (that race answers 503 "connection termination"). ADR 0018.
 */
export const UPSTREAM_HTTP1_IDLE_TIMEOUT_MS = 1500;

const COMMON_HTTP1: MessageInitShape<typeof HttpProtocolOptionsSchema>['commonHttpProtocolOptions'] = {
  idleTimeout: {
    seconds: BigInt(Math.floor(UPSTREAM_HTTP1_IDLE_TIMEOUT_MS / 1000)),
    nanos: (UPSTREAM_HTTP1_IDLE_TIMEOUT_MS % 1000) * 1_000_000,
  },
};

// Created once and shared (messages are values here, nobody edits one): creating them is a
// good part of what building a cluster costs.

/** HTTP services: HTTP/1.1, with the idle timeout above. */
export const HTTP1_OPTIONS: Any = packAny(HttpProtocolOptionsSchema, {
  commonHttpProtocolOptions: COMMON_HTTP1,
  upstreamProtocolOptions: { case: 'explicitHttpConfig', value: { protocolConfig: { case: 'httpProtocolOptions', value: {} } } },
});

/**
 * gRPC services and the OTLP collector: HTTP/2 (cleartext, prior knowledge). No idle timeout: an
 * HTTP/2 server announces the end of a connection with GOAWAY before closing it, so Envoy stops
 * opening streams on it (ADR 0018).
 */
export const HTTP2_OPTIONS: Any = packAny(HttpProtocolOptionsSchema, {
  upstreamProtocolOptions: { case: 'explicitHttpConfig', value: { protocolConfig: { case: 'http2ProtocolOptions', value: {} } } },
});

/** Captured traffic to a destination Laneway does not know: the protocol the app spoke; HTTP/1.1 idles as above. */
export const SAME_PROTOCOL_OPTIONS: Any = packAny(HttpProtocolOptionsSchema, {
  commonHttpProtocolOptions: COMMON_HTTP1,
  upstreamProtocolOptions: { case: 'useDownstreamProtocolConfig', value: { httpProtocolOptions: {}, http2ProtocolOptions: {} } },
});
