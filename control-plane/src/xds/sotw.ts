// The ADS gRPC service: a hand-written service definition with @bufbuild/protobuf serializers,
// and the handler that runs one SotwStream per call.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { status, type ServerDuplexStream, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
} from '../envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import type { Logger } from 'pino';
import { SotwStream, type StreamContext } from './stream.js';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';

/** Server side: responses are pre-encoded DiscoveryResponse bytes (see wire.ts) and pass through. */
export const adsServiceDefinition: ServiceDefinition = {
  StreamAggregatedResources: {
    path: `${SERVICE}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (req: DiscoveryRequest) => Buffer.from(toBinary(DiscoveryRequestSchema, req)),
    requestDeserialize: (bytes: Buffer) => fromBinary(DiscoveryRequestSchema, bytes),
    responseSerialize: (encoded: Uint8Array) => (Buffer.isBuffer(encoded) ? encoded : Buffer.from(encoded)),
    responseDeserialize: (bytes: Buffer) => fromBinary(DiscoveryResponseSchema, bytes),
  },
  DeltaAggregatedResources: {
    path: `${SERVICE}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (req: DeltaDiscoveryRequest) => Buffer.from(toBinary(DeltaDiscoveryRequestSchema, req)),
    requestDeserialize: (bytes: Buffer) => fromBinary(DeltaDiscoveryRequestSchema, bytes),
    responseSerialize: (res: DeltaDiscoveryResponse) => Buffer.from(toBinary(DeltaDiscoveryResponseSchema, res)),
    responseDeserialize: (bytes: Buffer) => fromBinary(DeltaDiscoveryResponseSchema, bytes),
  },
};

type AdsCall = ServerDuplexStream<DiscoveryRequest, Buffer>;
type AnyDuplexCall = ServerDuplexStream<unknown, unknown>;

function endWithStatus(call: AnyDuplexCall, code: status, details: string): void {
  if (call.writableEnded || call.destroyed) return;
  call.emit('error', Object.assign(new Error(details), { code, details }));
}

export type StreamContextFactory = (peer: string) => StreamContext;

/** Runs the ADS streams and can end them all. */
export class AdsService {
  private readonly active = new Map<AdsCall, SotwStream>();

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
      StreamAggregatedResources: (call: AdsCall) => this.onSotwCall(call),
      DeltaAggregatedResources: (call: AnyDuplexCall) =>
        endWithStatus(call, status.UNIMPLEMENTED, 'DeltaAggregatedResources is not implemented yet: use State-of-the-World ADS (api_type: GRPC)'),
    };
  }

  /** Ends every stream with UNAVAILABLE, so proxies reconnect (to another replica, or later). */
  endAll(reason: string): void {
    for (const [call, stream] of [...this.active]) {
      stream.close(reason);
      endWithStatus(call as AnyDuplexCall, status.UNAVAILABLE, reason);
    }
    this.active.clear();
  }

  private onSotwCall(call: AdsCall): void {
    if (!this.isReady()) {
      endWithStatus(call as AnyDuplexCall, status.UNAVAILABLE, 'control plane is not ready: configuration sources are still loading');
      return;
    }
    const stream = new SotwStream(this.contextFor(call.getPeer()), {
      write: (response) => call.write(response),
      fail: (code, details) => endWithStatus(call as AnyDuplexCall, code, details),
    });
    this.active.set(call, stream);
    const done = (reason: string) => {
      this.active.delete(call);
      stream.close(reason);
    };
    call.on('data', (req: DiscoveryRequest) => {
      try {
        stream.onRequest(req);
      } catch (err) {
        this.logger.error({ err, nodeId: stream.nodeId }, 'ADS request handling failed; ending the stream');
        endWithStatus(call as AnyDuplexCall, status.INTERNAL, 'the control plane failed to handle the request');
      }
    });
    call.on('drain', () => stream.onDrain());
    call.on('end', () => {
      done('the proxy closed the stream');
      if (!call.writableEnded) call.end();
    });
    call.on('cancelled', () => done('cancelled (proxy went away or connection lost)'));
    call.on('error', (err: Error) => done(`stream error: ${err.message}`));
    call.on('close', () => done('stream closed'));
  }
}
