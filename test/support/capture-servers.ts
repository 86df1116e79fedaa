// Servers for the capture e2e test, run inside its network namespace:
//   http:<name>=<host>:<port>   answers every request with 200 and body <name>
//   echo:<host>:<port>          a plain TCP echo server (outside the mesh)
// Prints "ready" once every server listens.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';

function listen(server: Server, hostPort: string): Promise<void> {
  const at = hostPort.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(hostPort.slice(at + 1)), hostPort.slice(0, at), () => resolve());
  });
}

async function start(spec: string): Promise<void> {
  if (spec.startsWith('echo:')) {
    return listen(createTcpServer((socket) => socket.pipe(socket)), spec.slice('echo:'.length));
  }
  const [name, hostPort] = spec.slice('http:'.length).split('=') as [string, string];
  const server = createHttpServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'x-seen-lane': String(req.headers['x-lane'] ?? '') }).end(name);
  });
  return listen(server as unknown as Server, hostPort);
}

await Promise.all(process.argv.slice(2).map(start));
console.log('ready');
