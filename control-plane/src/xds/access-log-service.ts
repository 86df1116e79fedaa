// The AccessLogService (envoy.service.accesslog.v3) on the xDS gRPC server: Envoys stream their
// hop records here (translate/hop-records.ts). A stream's first message names its node; the
// entries go to a sink with that node. The service knows nothing of lanes: the sink (observe/)
// decides what an entry means. Bytes that do not decode are counted, never thrown at grpc-js.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ServerReadableStream, ServiceDefinition, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import {
  StreamAccessLogsMessageSchema,
  StreamAccessLogsResponseSchema,
  type StreamAccessLogsMessage,
} from '../envoy/generated/envoy/service/accesslog/v3/als_pb.js';
import { decodeAccessLogMessage, type AccessLogEntry, type AccessLogMessage } from './access-log-wire.js';
import type { NodeInfo } from './stream-core.js';

export type { AccessLogEntry } from './access-log-wire.js';

const SERVICE = '/envoy.service.accesslog.v3.AccessLogService';

/** Why entries were not used. */
export type RejectReason = 'malformed' | 'no_node' | 'unknown_proxy' | 'over_limit';

export interface AccessLogSink {
  /** A stream's first message named `node`; undefined refuses the stream's entries (counted as unknown_proxy). */
  open(node: NodeInfo, logName: string): AccessLogStream | undefined;
  /** Entries (or messages) not used: counted by reason. */
  reject(reason: RejectReason, count: number): void;
}

export interface AccessLogStream {
  entries(entries: readonly AccessLogEntry[]): void;
  close(): void;
}

const MALFORMED = Symbol('malformed');
const EMPTY_RESPONSE = Buffer.from(toBinary(StreamAccessLogsResponseSchema, create(StreamAccessLogsResponseSchema)));
type Decoded = AccessLogMessage | typeof MALFORMED;

function decode(bytes: Buffer): Decoded {
  try {
    return decodeAccessLogMessage(bytes);
  } catch {
    return MALFORMED;
  }
}

export const accessLogServiceDefinition: ServiceDefinition = {
  StreamAccessLogs: {
    path: `${SERVICE}/StreamAccessLogs`,
    requestStream: true,
    responseStream: false,
    requestSerialize: (message: StreamAccessLogsMessage) => Buffer.from(toBinary(StreamAccessLogsMessageSchema, message)),
    requestDeserialize: decode,
    responseSerialize: () => EMPTY_RESPONSE,
    responseDeserialize: (bytes: Buffer) => fromBinary(StreamAccessLogsResponseSchema, bytes),
  },
};

const entryCount = (message: AccessLogMessage) => message.httpEntries.length + message.tcpEntries;

/** One call: the node from the first message, then entries until the proxy closes the stream. */
function onCall(sink: AccessLogSink, call: ServerReadableStream<Decoded, unknown>, callback: sendUnaryData<unknown>): void {
  let stream: AccessLogStream | undefined;
  let refused = false;
  call.on('data', (message: Decoded) => {
    if (message === MALFORMED) return sink.reject('malformed', 1);
    if (!stream && !refused) {
      const node = message.identifier?.node;
      if (!node?.id) return sink.reject('no_node', entryCount(message));
      stream = sink.open({ id: node.id, cluster: node.cluster, metadata: node.metadata ?? {} }, message.identifier?.logName ?? '');
      refused = stream === undefined;
    }
    if (refused) return sink.reject('unknown_proxy', entryCount(message));
    if (message.httpEntries.length > 0) stream!.entries(message.httpEntries);
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    stream?.close();
  };
  call.on('end', () => {
    end();
    callback(null, {});
  });
  call.on('cancelled', end);
  call.on('error', end);
  call.on('close', end);
}

export function accessLogServiceImplementation(sink: AccessLogSink): UntypedServiceImplementation {
  return { StreamAccessLogs: (call: ServerReadableStream<Decoded, unknown>, callback: sendUnaryData<unknown>) => onCall(sink, call, callback) };
}
