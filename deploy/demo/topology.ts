// The demo mesh: frontend -> orders -> payments (payments speaks gRPC), stable instances of all
// three, and lane feature-x overriding orders. Shared by `npm run mesh`, the e2e tests and docker-compose.

export interface DemoServiceSpec {
  name: string;
  protocol: 'http' | 'grpc';
  calls: string[];
}

export const DEMO_SERVICES: DemoServiceSpec[] = [
  { name: 'frontend', protocol: 'http', calls: ['orders'] },
  { name: 'orders', protocol: 'http', calls: ['payments'] },
  { name: 'payments', protocol: 'grpc', calls: [] },
];

export const DEMO_LANES: Array<{ name: string; services: string[] }> = [{ name: 'feature-x', services: ['orders'] }];

/** A lane whose instance of one service forgets to forward the lane (DROP=lane), for `laneway doctor` to find (npm run mesh, docker-compose). */
export const DEMO_LEAKY_LANE = { name: 'feature-y', service: 'orders', drop: 'lane' } as const;

export const ENTRY_SERVICE = 'frontend';

/** The port services are addressed by (`orders:8080`); with HTTP_PROXY apps call http://orders:8080/. */
export const SERVICE_PORT = 8080;

export function demoSpec(service: string): DemoServiceSpec {
  const spec = DEMO_SERVICES.find((s) => s.name === service);
  if (!spec) throw new Error(`no demo service ${service}`);
  return spec;
}

/** The callees of `spec` that speak gRPC. */
export function grpcCallees(spec: DemoServiceSpec): string[] {
  return spec.calls.filter((callee) => demoSpec(callee).protocol === 'grpc');
}
