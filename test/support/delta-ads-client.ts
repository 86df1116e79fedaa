// A minimal incremental (delta) ADS client speaking the wire the way Envoy does, for tests and
// debugging. It decodes with the generated message schemas, not the server's encoder.
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { Client, credentials, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
} from '../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import type { AdsClientNode } from './ads-client.js';
import { ResponseQueue } from './response-queue.js';

const DELTA_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

export interface DeltaRequestInit {
  typeUrl: string;
  subscribe?: string[];
  unsubscribe?: string[];
  initialResourceVersions?: Record<string, string>;
  responseNonce?: string;
  errorDetail?: { code?: number; message: string };
}

export class DeltaAdsClient {
  /** Every response received, in order. */
  readonly responses: DeltaDiscoveryResponse[] = [];
  /** Resolves with the stream's final status. */
  readonly status: Promise<StatusObject>;
  private readonly client: Client;
  private readonly call: ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
  private readonly unread = new ResponseQueue<DeltaDiscoveryResponse>();
  private sentNode = false;

  constructor(port: number, private readonly node: AdsClientNode | undefined, host = '127.0.0.1') {
    this.client = new Client(`${host}:${port}`, credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(
      DELTA_PATH,
      (req: DeltaDiscoveryRequest) => Buffer.from(toBinary(DeltaDiscoveryRequestSchema, req)),
      (bytes: Buffer) => fromBinary(DeltaDiscoveryResponseSchema, bytes),
    );
    this.call.on('data', (res: DeltaDiscoveryResponse) => {
      this.responses.push(res);
      this.unread.push(res);
    });
    this.call.on('error', () => {}); // surfaced through `status`
    this.status = new Promise((resolve) => this.call.on('status', resolve));
  }

  /** Sends a request; the node goes on the first one only, like Envoy. */
  request(init: DeltaRequestInit): void {
    const msg: MessageInitShape<typeof DeltaDiscoveryRequestSchema> = {
      typeUrl: init.typeUrl,
      resourceNamesSubscribe: init.subscribe ?? [],
      resourceNamesUnsubscribe: init.unsubscribe ?? [],
      initialResourceVersions: init.initialResourceVersions ?? {},
      responseNonce: init.responseNonce ?? '',
      ...(init.errorDetail ? { errorDetail: { code: init.errorDetail.code ?? 3, message: init.errorDetail.message } } : {}),
    };
    if (!this.sentNode && this.node) msg.node = { id: this.node.id, cluster: this.node.cluster ?? '', metadata: this.node.metadata as never };
    this.sentNode = true;
    this.call.write(create(DeltaDiscoveryRequestSchema, msg));
  }

  /** ACKs a response, optionally changing subscriptions in the same request (as Envoy does). */
  ack(res: DeltaDiscoveryResponse, changes: Pick<DeltaRequestInit, 'subscribe' | 'unsubscribe'> = {}): void {
    this.request({ typeUrl: res.typeUrl, responseNonce: res.nonce, ...changes });
  }

  nack(res: DeltaDiscoveryResponse, message: string): void {
    this.request({ typeUrl: res.typeUrl, responseNonce: res.nonce, errorDetail: { message } });
  }

  /** The next unread response (of `typeUrl`, when given). */
  next(typeUrl?: string, timeoutMs = 2000): Promise<DeltaDiscoveryResponse> {
    return this.unread.next(typeUrl, timeoutMs);
  }

  /** Unread responses (of `typeUrl`, when given) after waiting `ms`. */
  unreadAfter(ms: number, typeUrl?: string): Promise<DeltaDiscoveryResponse[]> {
    return this.unread.unreadAfter(ms, typeUrl);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/** name -> version of the resources in a delta response, as the client sees them. */
export function deltaVersions(res: DeltaDiscoveryResponse): Record<string, string> {
  return Object.fromEntries(res.resources.map((r) => [r.name, r.version]));
}

/** Names of the resources in a delta response, then "-name" for each removal. */
export function deltaSummary(res: DeltaDiscoveryResponse): string[] {
  return [...res.resources.map((r) => r.name), ...res.removedResources.map((n) => `-${n}`)];
}
