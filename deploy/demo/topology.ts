// The demo mesh: frontend -> orders -> payments, stable instances of all three, and lane
// feature-x overriding orders. Shared by `npm run mesh`, the e2e tests and docker-compose.

export interface DemoServiceSpec {
  name: string;
  calls: string[];
}

export const DEMO_SERVICES: DemoServiceSpec[] = [
  { name: 'frontend', calls: ['orders'] },
  { name: 'orders', calls: ['payments'] },
  { name: 'payments', calls: [] },
];

export const DEMO_LANES: Array<{ name: string; services: string[] }> = [{ name: 'feature-x', services: ['orders'] }];

export const ENTRY_SERVICE = 'frontend';

/** The port services are addressed by (`orders:8080`); with HTTP_PROXY apps call http://orders:8080/. */
export const SERVICE_PORT = 8080;
