// Maps an Envoy node (from its bootstrap's node.metadata) to what the translator builds for it.
import type { ProxyTarget } from '../translate/proxy.js';
import { unsupportedEnvoy } from './envoy-versions.js';

export interface NodeInfo {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
  envoyVersion?: readonly [number, number, number];
}

function text(metadata: Record<string, unknown>, key: string): string | undefined {
  const value = metadata[key];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function portFrom(text: string | undefined): number | undefined {
  const port = Number(text);
  return text !== undefined && /^\d+$/.test(text) && port >= 1 && port <= 65535 ? port : undefined;
}

/** `laneway.capture_port` (set when iptables capture is installed) turns the capture listener on. */
function captureFrom(node: NodeInfo): ProxyTarget['capture'] | { error: string } | undefined {
  const portText = text(node.metadata, 'laneway.capture_port');
  if (portText === undefined) return undefined;
  const port = portFrom(portText);
  if (port === undefined) return { error: `node ${node.id}: metadata laneway.capture_port must be a port (1-65535), got "${portText}"` };
  return { address: text(node.metadata, 'laneway.capture_address') ?? '0.0.0.0', port };
}

export function proxyTargetFromNode(node: NodeInfo): ProxyTarget | { error: string } {
  const tooOld = unsupportedEnvoy(node.id, node.envoyVersion);
  if (tooOld) return { error: tooOld };
  const md = node.metadata;
  const kind = text(md, 'laneway.kind') ?? 'sidecar';
  if (kind !== 'sidecar' && kind !== 'ingress') {
    return { error: `node ${node.id}: metadata laneway.kind must be "sidecar" or "ingress", got "${kind}"` };
  }
  const portText = text(md, 'laneway.listener_port') ?? (kind === 'ingress' ? '10000' : '15001');
  const listenerPort = Number(portText);
  if (!/^\d+$/.test(portText) || listenerPort < 1 || listenerPort > 65535) {
    return { error: `node ${node.id}: metadata laneway.listener_port must be a port (1-65535), got "${portText}"` };
  }
  const listenerAddress = text(md, 'laneway.listener_address') ?? '127.0.0.1';
  if (kind === 'ingress') return { kind, listenerAddress, listenerPort };
  const service = text(md, 'laneway.service') ?? (node.cluster || undefined);
  if (!service) return { error: `node ${node.id}: a sidecar needs metadata laneway.service (or node.cluster)` };
  const capture = captureFrom(node);
  if (capture && 'error' in capture) return capture;
  return { kind, service, listenerAddress, listenerPort, ...(capture && { capture }) };
}

/** Proxies with the same target share one snapshot. */
export function groupKey(target: ProxyTarget): string {
  const key = [target.kind, target.service ?? '', target.listenerAddress, target.listenerPort].join('|');
  return target.capture ? `${key}|capture ${target.capture.address}:${target.capture.port}` : key;
}
