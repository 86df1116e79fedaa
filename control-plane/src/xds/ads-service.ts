// The ADS gRPC service with both of its methods, State of the World (StreamAggregatedResources)
// and delta (DeltaAggregatedResources): a hand-written service definition with @bufbuild/protobuf
// serializers, and the handler that runs one SotwStream or DeltaStream per call.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { status, type ServerDuplexStream, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
} from '../envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import type { Logger } from 'pino';
import { DeltaStream } from './delta-stream.js';
import { decodeDeltaDiscoveryRequest, decodeDiscoveryRequest } from './request-wire.js';
import { PooledResponse, RESPONSE_BUFFERS, serializeResponse, type EncodedResponse } from './response-buffers.js';
import { SotwStream } from './sotw-stream.js';
import type { StreamContext, StreamSink } from './stream-core.js';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';

/**
 * A request its method could not decode. The deserializer returns it instead of throwing, because on
 * a throw grpc-js ends the call with a bare INTERNAL "Error deserializing request" and logs nothing;
 * the stream then ends with INVALID_ARGUMENT naming what was wrong, and the log names the peer.
 */
export class UndecodableRequest {
  constructor(readonly reason: string) {}
}

function decodeOrReason(decode: (bytes: Buffer) => unknown, message: string): (bytes: Buffer) => unknown {
  return (bytes: Buffer) => {
    try {
      return decode(bytes);
    } catch (err) {
      return new UndecodableRequest(`${message} is not valid protobuf: ${String((err as Error).message ?? err).slice(0, 200)}`);
    }
  };
}

/** Server side: responses are (Delta)DiscoveryResponses encoded at serialization into pooled buffers (response-buffers.ts). */
export const adsServiceDefinition: ServiceDefinition = {
  StreamAggregatedResources: {
    path: `${SERVICE}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (req: DiscoveryRequest) => Buffer.from(toBinary(DiscoveryRequestSchema, req)),
    requestDeserialize: decodeOrReason(decodeDiscoveryRequest, 'DiscoveryRequest'),
    responseSerialize: serializeResponse,
    responseDeserialize: (bytes: Buffer) => fromBinary(DiscoveryResponseSchema, bytes),
  },
  DeltaAggregatedResources: {
    path: `${SERVICE}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (req: DeltaDiscoveryRequest) => Buffer.from(toBinary(DeltaDiscoveryRequestSchema, req)),
    requestDeserialize: decodeOrReason(decodeDeltaDiscoveryRequest, 'DeltaDiscoveryRequest'),
    responseSerialize: serializeResponse,
    responseDeserialize: (bytes: Buffer) => fromBinary(DeltaDiscoveryResponseSchema, bytes),
  },
};

type AnyDuplexCall = ServerDuplexStream<unknown, unknown>;

/** What AdsService needs of a SotwStream or DeltaStream. */
interface AdsStream {
  readonly nodeId: string | undefined;
  /** never: each stream takes its own method's request message. */
  onRequest(req: never): void;
  onDrain(): void;
  close(reason: string): void;
}

function endWithStatus(call: AnyDuplexCall, code: status, details: string): void {
  if (call.writableEnded || call.destroyed) return;
  call.emit('error', Object.assign(new Error(details), { code, details }));
}

// A class rather than an object of arrow functions: under tsx every named function gets its name
// set, and with it a property store of its own, per stream.
class CallSink implements StreamSink {
  constructor(private readonly call: AnyDuplexCall) {}

  write(response: EncodedResponse): boolean {
    const pooled = new PooledResponse(response, RESPONSE_BUFFERS);
    return this.call.write(pooled, pooled.written);
  }

  fail(code: status, details: string): void {
    endWithStatus(this.call, code, details);
  }
}

export type StreamContextFactory = (peer: string) => StreamContext;

/** Runs the ADS streams and can end them all. */
export class AdsService {
  private readonly active = new Map<AnyDuplexCall, AdsStream>();

  constructor(
    private readonly contextFor: StreamContextFactory,
    private readonly isReady: () => boolean,
    private readonly logger: Logger,
  ) {}

  get activeStreams(): number {
    return this.active.size;
  }

  implementation(): UntypedServiceImplementation {
    return {
      StreamAggregatedResources: (call: AnyDuplexCall) => this.onCall(call, (ctx, sink) => new SotwStream(ctx, sink)),
      DeltaAggregatedResources: (call: AnyDuplexCall) => this.onCall(call, (ctx, sink) => new DeltaStream(ctx, sink)),
    };
  }

  /** Ends every stream with UNAVAILABLE, so proxies reconnect (to another replica, or later). */
  endAll(reason: string): void {
    for (const [call, stream] of [...this.active]) {
      stream.close(reason);
      endWithStatus(call, status.UNAVAILABLE, reason);
    }
    this.active.clear();
  }

  private onCall(call: AnyDuplexCall, open: (ctx: StreamContext, sink: StreamSink) => AdsStream): void {
    if (!this.isReady()) {
      endWithStatus(call, status.UNAVAILABLE, 'control plane is not ready: configuration sources are still loading');
      return;
    }
    const stream = open(this.contextFor(call.getPeer()), new CallSink(call));
    this.active.set(call, stream);
    call.on('data', (req: unknown) => {
      if (req instanceof UndecodableRequest) {
        this.logger.warn({ peer: call.getPeer(), nodeId: stream.nodeId, reason: req.reason }, 'undecodable ADS request; ending the stream');
        endWithStatus(call, status.INVALID_ARGUMENT, req.reason);
        return;
      }
      try {
        stream.onRequest(req as never); // the method's deserializer made the stream's request type
      } catch (err) {
        this.logger.error({ err, nodeId: stream.nodeId }, 'ADS request handling failed; ending the stream');
        endWithStatus(call, status.INTERNAL, 'the control plane failed to handle the request');
      }
    });
    call.on('drain', () => stream.onDrain());
    call.on('end', () => {
      this.done(call, stream, 'the proxy closed the stream');
      if (!call.writableEnded) call.end();
    });
    call.on('cancelled', () => this.done(call, stream, 'cancelled (proxy went away or connection lost)'));
    call.on('error', (err: Error) => this.done(call, stream, `stream error: ${err.message}`));
    call.on('close', () => this.done(call, stream, 'stream closed'));
  }

  private done(call: AnyDuplexCall, stream: AdsStream, reason: string): void {
    this.active.delete(call);
    stream.close(reason);
  }
}
