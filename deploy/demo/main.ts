// Runs one demo service from environment variables (used by docker-compose and Kubernetes).
import { propagatedHeaders, startDemoService } from './service.js';

const env = process.env;
const service = env.SERVICE;
if (!service) {
  console.error('demo service: set SERVICE (and optionally LANE, PORT, HOST, PROTOCOL, CALLS, GRPC_CALLS, SIDECAR_URL or CALLEE_PORT, LANE_HEADER, DROP=lane|all)');
  process.exit(2);
}
const started = await startDemoService({
  service,
  lane: env.LANE || 'stable',
  host: env.HOST || '127.0.0.1',
  port: Number(env.PORT || 8080),
  protocol: env.PROTOCOL === 'grpc' ? 'grpc' : 'http',
  calls: (env.CALLS || '').split(',').filter(Boolean),
  grpcCallees: (env.GRPC_CALLS || '').split(',').filter(Boolean),
  sidecarUrl: env.SIDECAR_URL,
  calleePort: Number(env.CALLEE_PORT || 8080),
  // DROP=lane: forwards traceparent but not the lane; DROP=all: forwards nothing (the demo's broken service).
  propagate: propagatedHeaders(env.LANE_HEADER || 'x-lane', env.DROP === 'lane' || env.DROP === 'all' ? env.DROP : undefined),
});
console.log(JSON.stringify({ msg: 'demo service listening', service, lane: env.LANE || 'stable', port: started.port }));
const stop = () => void started.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
