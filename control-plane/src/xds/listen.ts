// The xDS port: a TCP server of our own whose connections are handed to grpc-js, so that the
// accept queue is as long as the kernel allows (net.core.somaxconn) instead of Node's default of
// 511. When thousands of proxies connect at once (a control-plane restart, a failover), a full
// queue makes the kernel drop or reset their connections, and each of those proxies then waits out
// its retry backoff. Go servers (go-control-plane, istiod) listen with somaxconn. ADR 0010.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ServerCredentials, type Server } from '@grpc/grpc-js';

/** Asked of listen(2); the kernel caps it at net.core.somaxconn. */
export const LISTEN_BACKLOG = 65_535;

export interface XdsListener {
  port: number;
  /**
   * Stops accepting new connections. Open ones are the gRPC server's to end (its shutdown destroys
   * what is left after the grace period); waiting here for them too could wait on a peer forever.
   */
  stopAccepting(): void;
}

/** `credentials`: TLS (reloadable, see runtime/tls-servers.ts); plain text when absent. */
export function listenForXds(server: Server, host: string, port: number, credentials?: ServerCredentials): Promise<XdsListener> {
  const injector = server.createConnectionInjector(credentials ?? ServerCredentials.createInsecure());
  const tcp = createServer((socket) => injector.injectConnection(socket));
  return new Promise((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host: host.replace(/^\[(.*)\]$/, '$1'), port, backlog: LISTEN_BACKLOG }, () => {
      tcp.off('error', reject);
      resolve({
        port: (tcp.address() as AddressInfo).port,
        stopAccepting: () => tcp.close(),
      });
    });
  });
}
