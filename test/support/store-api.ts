// The REST API over a real FileStore in a fresh temporary data directory, listening on a free
// loopback port: what the API unit tests start before they call it over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildApi, type ApiOptions } from '../../control-plane/src/api/server.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

export interface StoreApi {
  /** http://127.0.0.1:<port> */
  base: string;
  port: number;
  dataDir: string;
  store: FileStore;
  /** Closes the server and removes the data directory. */
  close(): Promise<void>;
}

/** Starts the API on a new store in a temporary directory named after `prefix`; `options` add to or replace the defaults. */
export async function startStoreApi(prefix: string, options: Partial<ApiOptions> = {}): Promise<StoreApi> {
  const dataDir = mkdtempSync(join(tmpdir(), `laneway-${prefix}-`));
  const store = await FileStore.open(dataDir);
  const app = buildApi({ store, getState: () => store.state(), ready: () => true, logger: pino({ level: 'silent' }), ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}`, port, dataDir, store,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
