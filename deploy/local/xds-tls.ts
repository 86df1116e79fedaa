// Adds envoy-configs/xds-tls.yaml to a rendered bootstrap (sidecar.yaml or ingress.yaml): its
// laneway_xds cluster then connects over TLS, presenting a client certificate when one is given.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { renderTemplate } from '../../control-plane/src/envoy/bootstrap.js';

export interface XdsTls {
  /** PEM file of the CA that signed the control plane's certificate. */
  ca: string;
  /** A DNS name in the control plane's certificate (sent as SNI and checked). */
  serverName: string;
  /** Client certificate and key (mTLS: signed by the control plane's --client-ca). */
  clientCert?: string;
  clientKey?: string;
}

const SNIPPET = fileURLToPath(new URL('../../envoy-configs/xds-tls.yaml', import.meta.url));

export function withXdsTls(bootstrapYaml: string, tls: XdsTls): string {
  const template = readFileSync(SNIPPET, 'utf8').split('\n').filter((line) => !line.startsWith('#')).join('\n');
  const vars = { XDS_CA: tls.ca, XDS_SERVER_NAME: tls.serverName, XDS_CLIENT_CERT: tls.clientCert ?? '', XDS_CLIENT_KEY: tls.clientKey ?? '' };
  const { transport_socket: socket } = parse(renderTemplate(template, vars));
  if (!tls.clientCert) delete socket.typed_config.common_tls_context.tls_certificates;
  const bootstrap = parse(bootstrapYaml);
  const cluster = bootstrap.static_resources.clusters.find((c: { name: string }) => c.name === 'laneway_xds');
  if (!cluster) throw new Error('the bootstrap has no laneway_xds cluster');
  cluster.transport_socket = socket;
  return stringify(bootstrap);
}
