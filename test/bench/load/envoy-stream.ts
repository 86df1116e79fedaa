// One ADS stream that behaves like an Envoy sidecar: CDS and LDS as wildcards, EDS for the clusters
// it got, RDS for the route configurations its listeners name, every response ACKed at once. One
// HTTP/2 connection per stream. SotW or delta.
import { create, toBinary } from '@bufbuild/protobuf';
import { Client, credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequestSchema,
} from '../../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { routeConfigNames, scanDeltaResponse, scanSotwResponse, type ScannedResponse } from './proto-scan.js';

export const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
const ENVOY_HTTP2_WINDOW = 256 * 1024 * 1024;
export type Protocol = 'sotw' | 'delta';

export interface StreamNode {
  id: string;
  service: string;
}

/** Called after a response was ACKed, with the time of the ACK. */
export type AckListener = (stream: EnvoyStream, res: ScannedResponse, ackedAt: number) => void;

export class EnvoyStream {
  /** Names held per type (what the last responses left the client with). */
  readonly held = new Map<string, Set<string>>([[CDS, new Set()], [EDS, new Set()], [LDS, new Set()], [RDS, new Set()]]);
  responses = 0;
  bytes = 0;
  error?: string;
  private readonly client: Client;
  private readonly call: ClientDuplexStream<Uint8Array, Buffer>;
  private readonly subscribed = new Map<string, Set<string>>([[EDS, new Set()], [RDS, new Set()]]);
  private readonly lastSotw = new Map<string, { version: string; nonce: string }>();
  private sentNode = false;

  constructor(target: string, readonly node: StreamNode, readonly protocol: Protocol, private readonly onAck: AckListener) {
    // A local subchannel pool: one connection per stream, as each Envoy has its own.
    this.client = new Client(target, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      // Envoy's HTTP/2 windows (initial_stream_window_size and initial_connection_window_size
      // default to 256 MiB). With Node's 64 KiB, a push at 10,000 lanes (CDS, EDS and RDS, about
      // 150 KB) would wait on a WINDOW_UPDATE from this busy process; an Envoy's would not.
      'grpc-node.flow_control_window': ENVOY_HTTP2_WINDOW,
    });
    const method = protocol === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources';
    this.call = this.client.makeBidiStreamRequest(`${SERVICE}/${method}`, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b);
    this.call.on('data', (buf: Buffer) => this.onResponse(buf));
    this.call.on('error', (err: Error) => (this.error = err.message));
    this.request(CDS, []);
    this.request(LDS, []);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }

  private nodeField() {
    if (this.sentNode) return {};
    this.sentNode = true;
    const metadata = { 'laneway.kind': 'sidecar', 'laneway.service': this.node.service, 'laneway.listener_port': '15001' };
    return { node: { id: this.node.id, cluster: this.node.service, metadata } };
  }

  /** SotW: the full name list with the last version and nonce; delta: the subscription change. */
  private request(typeUrl: string, names: string[], change: { add?: string[]; remove?: string[]; nonce?: string } = {}): void {
    if (this.protocol === 'sotw') {
      const last = this.lastSotw.get(typeUrl);
      const msg = create(DiscoveryRequestSchema, {
        typeUrl, resourceNames: names, versionInfo: last?.version ?? '', responseNonce: last?.nonce ?? '', ...this.nodeField(),
      });
      this.call.write(toBinary(DiscoveryRequestSchema, msg));
      return;
    }
    const msg = create(DeltaDiscoveryRequestSchema, {
      typeUrl, resourceNamesSubscribe: change.add ?? [], resourceNamesUnsubscribe: change.remove ?? [],
      responseNonce: change.nonce ?? '', ...this.nodeField(),
    });
    this.call.write(toBinary(DeltaDiscoveryRequestSchema, msg));
  }

  private onResponse(buf: Buffer): void {
    this.responses++;
    this.bytes += buf.length;
    const res = this.protocol === 'sotw' ? scanSotwResponse(buf) : scanDeltaResponse(buf);
    const held = this.held.get(res.typeUrl);
    if (!held) return;
    if (this.protocol === 'sotw') {
      // Wildcard types are replaced; named ones keep names the response left out.
      if (res.typeUrl === CDS || res.typeUrl === LDS) held.clear();
      this.lastSotw.set(res.typeUrl, { version: res.version, nonce: res.nonce });
    }
    for (const name of res.removed) held.delete(name);
    // Like Envoy, a named type's resource reaches the client only if something asked for it (an
    // EDS watch exists once the cluster arrived); anything else in a response is dropped.
    const watched = this.subscribed.get(res.typeUrl);
    for (const r of res.resources) if (!watched || watched.has(r.name)) held.add(r.name);
    if (res.typeUrl === CDS) this.follow(EDS, [...held], res);
    else if (res.typeUrl === LDS) this.follow(RDS, res.resources.flatMap((r) => routeConfigNames(r.value)), res);
    this.ack(res);
    this.onAck(this, res, performance.now());
  }

  /** Subscribes the dependent type to exactly `names` (Envoy asks for what its clusters/listeners need). */
  private follow(typeUrl: string, names: string[], parent: ScannedResponse): void {
    const wanted = new Set(this.protocol === 'sotw' || parent.typeUrl !== LDS ? names : [...this.subscribed.get(typeUrl)!, ...names]);
    const current = this.subscribed.get(typeUrl)!;
    const add = [...wanted].filter((n) => !current.has(n));
    const remove = [...current].filter((n) => !wanted.has(n));
    if (add.length === 0 && remove.length === 0) return;
    this.subscribed.set(typeUrl, wanted);
    for (const n of remove) this.held.get(typeUrl)!.delete(n);
    this.request(typeUrl, [...wanted].sort(), { add, remove });
  }

  private ack(res: ScannedResponse): void {
    if (this.protocol === 'sotw') this.request(res.typeUrl, res.typeUrl === EDS || res.typeUrl === RDS ? [...this.subscribed.get(res.typeUrl)!].sort() : []);
    else this.request(res.typeUrl, [], { nonce: res.nonce });
  }
}
