// What a connected Envoy is, as far as translation cares. Derived from its node by the wiring.

export type ProxyKind = 'sidecar' | 'ingress';

export interface ProxyTarget {
  kind: ProxyKind;
  /** The service this sidecar fronts (absent for the ingress). */
  service?: string;
  /** Where the proxy's listener binds (the sidecar's outbound listener, or the ingress listener). */
  listenerAddress: string;
  listenerPort: number;
  /** Sidecars whose pod's outbound TCP is redirected by iptables: where the capture listener binds. */
  capture?: { address: string; port: number };
}
