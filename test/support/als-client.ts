// A gRPC AccessLogService client that sends raw bytes, so tests can send what Envoy sends
// (StreamAccessLogsMessage built with the generated schema) and what it never would (garbage).
import { create, toBinary } from '@bufbuild/protobuf';
import { credentials, makeGenericClientConstructor, type ClientWritableStream } from '@grpc/grpc-js';
import type { HTTPAccessLogEntry } from '../../control-plane/src/envoy/generated/envoy/data/accesslog/v3/accesslog_pb.js';
import { StreamAccessLogsMessageSchema } from '../../control-plane/src/envoy/generated/envoy/service/accesslog/v3/als_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { HTTPAccessLogEntrySchema } from '../../control-plane/src/envoy/generated/envoy/data/accesslog/v3/accesslog_pb.js';

const RawAccessLogClient = makeGenericClientConstructor({
  StreamAccessLogs: {
    path: '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs',
    requestStream: true,
    responseStream: false,
    requestSerialize: (bytes: Buffer) => bytes,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (bytes: Buffer) => bytes,
    responseDeserialize: (bytes: Buffer) => bytes,
  },
}, 'AccessLogService');

export interface AlsNode {
  id: string;
  cluster?: string;
  metadata?: Record<string, string>;
}

/** An entry as a sidecar logs it: cluster chosen, lane header and traceparent (when given), status. */
export function hopEntry(cluster: string, headers: Record<string, string>, status = 200): HTTPAccessLogEntry {
  const init: MessageInitShape<typeof HTTPAccessLogEntrySchema> = {
    commonProperties: { upstreamCluster: cluster },
    request: { requestHeaders: headers },
    response: { responseCode: status },
  };
  return create(HTTPAccessLogEntrySchema, init);
}

export function alsMessage(node: AlsNode | undefined, entries: HTTPAccessLogEntry[]): Buffer {
  return Buffer.from(toBinary(StreamAccessLogsMessageSchema, create(StreamAccessLogsMessageSchema, {
    ...(node && { identifier: { node: { id: node.id, cluster: node.cluster ?? '', metadata: node.metadata ?? {} }, logName: 'laneway-hops' } }),
    logEntries: { case: 'httpLogs', value: { logEntry: entries } },
  })));
}

export class AlsClient {
  private readonly client: InstanceType<typeof RawAccessLogClient>;
  private readonly call: ClientWritableStream<Buffer>;
  readonly done: Promise<Error | null>;

  constructor(port: number) {
    this.client = new RawAccessLogClient(`127.0.0.1:${port}`, credentials.createInsecure());
    let settle!: (err: Error | null) => void;
    this.done = new Promise((resolve) => (settle = resolve));
    this.call = this.client.StreamAccessLogs!((err: Error | null) => settle(err)) as ClientWritableStream<Buffer>;
  }

  /** Writes a message, waiting for the stream to drain when gRPC asks. */
  async send(bytes: Buffer): Promise<void> {
    if (!this.call.write(bytes)) await new Promise((resolve) => this.call.once('drain', resolve));
  }

  async end(): Promise<Error | null> {
    this.call.end();
    const err = await this.done;
    this.client.close();
    return err;
  }
}
