// `npm start` / `laneway serve`: run the control plane until SIGTERM or SIGINT.
import { pino } from 'pino';
import { ConfigError, parseConfig } from './runtime/config.js';
import { startControlPlane } from './runtime/control-plane.js';
import { applyHeapGrowth } from './runtime/heap-growth.js';

export async function serve(argv: string[]): Promise<void> {
  let config;
  try {
    config = parseConfig(argv, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`laneway: ${err.message}`);
    process.exit(2);
  }
  applyHeapGrowth(config.heapGrowingPercent ?? 0);
  const logger = pino({ level: config.logLevel, base: { component: 'laneway' } });
  const running = await startControlPlane(config, logger).catch((err: Error) => {
    logger.fatal({ err }, 'control plane failed to start');
    // Said plainly too: the usual cause is another control plane on the same --data-dir.
    console.error(`laneway: ${err.message}`);
    process.exit(1);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) await serve(process.argv.slice(2));
