// A minimal State-of-the-World ADS client speaking the wire the way Envoy does, for tests and
// debugging. It uses the generated message schemas, not the server's encoder.
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { Client, credentials, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import {
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { ResponseQueue } from './response-queue.js';

const SOTW_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

export interface AdsClientNode {
  id: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
  /** Sent as node.user_agent_build_version, as Envoy does. */
  envoyVersion?: [number, number, number];
}

export interface RequestInit {
  typeUrl: string;
  resourceNames?: string[];
  versionInfo?: string;
  responseNonce?: string;
  errorDetail?: { code?: number; message: string };
}

function buildVersion(version: [number, number, number] | undefined) {
  if (!version) return {};
  const [majorNumber, minorNumber, patch] = version;
  return { userAgentName: 'envoy', userAgentVersionType: { case: 'userAgentBuildVersion' as const, value: { version: { majorNumber, minorNumber, patch } } } };
}

export class AdsClient {
  /** Every response received, in order. */
  readonly responses: DiscoveryResponse[] = [];
  /** Resolves with the stream's final status. */
  readonly status: Promise<StatusObject>;
  private readonly client: Client;
  private readonly call: ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  private readonly unread = new ResponseQueue<DiscoveryResponse>();
  /** Names last requested per type, as Envoy repeats them on every request. */
  private readonly names = new Map<string, string[]>();
  private sentNode = false;

  constructor(port: number, private readonly node: AdsClientNode | undefined, host = '127.0.0.1') {
    this.client = new Client(`${host}:${port}`, credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(
      SOTW_PATH,
      (req: DiscoveryRequest) => Buffer.from(toBinary(DiscoveryRequestSchema, req)),
      (bytes: Buffer) => fromBinary(DiscoveryResponseSchema, bytes),
    );
    this.call.on('data', (res: DiscoveryResponse) => {
      this.responses.push(res);
      this.unread.push(res);
    });
    this.call.on('error', () => {}); // surfaced through `status`
    this.status = new Promise((resolve) => this.call.on('status', resolve));
  }

  /** Sends a request; the node goes on the first one only, like Envoy. */
  request(init: RequestInit): void {
    const names = init.resourceNames ?? this.names.get(init.typeUrl) ?? [];
    this.names.set(init.typeUrl, names);
    const msg: MessageInitShape<typeof DiscoveryRequestSchema> = {
      typeUrl: init.typeUrl,
      resourceNames: names,
      versionInfo: init.versionInfo ?? '',
      responseNonce: init.responseNonce ?? '',
      ...(init.errorDetail ? { errorDetail: { code: init.errorDetail.code ?? 3, message: init.errorDetail.message } } : {}),
    };
    if (!this.sentNode && this.node) msg.node = { id: this.node.id, cluster: this.node.cluster ?? '', metadata: this.node.metadata as never, ...buildVersion(this.node.envoyVersion) };
    this.sentNode = true;
    this.call.write(create(DiscoveryRequestSchema, msg));
  }

  ack(res: DiscoveryResponse, resourceNames?: string[]): void {
    this.request({ typeUrl: res.typeUrl, versionInfo: res.versionInfo, responseNonce: res.nonce, ...(resourceNames ? { resourceNames } : {}) });
  }

  /** `acceptedVersion`: the version still running (Envoy sends its last accepted one). */
  nack(res: DiscoveryResponse, message: string, acceptedVersion = ''): void {
    this.request({ typeUrl: res.typeUrl, versionInfo: acceptedVersion, responseNonce: res.nonce, errorDetail: { message } });
  }

  /** The next unread response (of `typeUrl`, when given). */
  next(typeUrl?: string, timeoutMs = 2000): Promise<DiscoveryResponse> {
    return this.unread.next(typeUrl, timeoutMs);
  }

  /** Unread responses (of `typeUrl`, when given) after waiting `ms`. */
  unreadAfter(ms: number, typeUrl?: string): Promise<DiscoveryResponse[]> {
    return this.unread.unreadAfter(ms, typeUrl);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}
