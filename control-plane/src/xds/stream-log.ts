// A stream's log lines without a pino child logger per stream: a child costs about 0.4 KB and each
// stream made two (a heap snapshot at 1,000 idle streams counted 0.74 KB per stream). Each line
// carries the stream's fields instead; debug lines, written on every push and ACK, cost nothing
// unless debug is on.
import type { Logger } from 'pino';

type Fields = Record<string, unknown>;

export class StreamLog {
  constructor(
    private readonly logger: Logger,
    private fields: Fields,
  ) {}

  /** Adds fields to every later line (the node id, once known). */
  bind(fields: Fields): void {
    this.fields = { ...this.fields, ...fields };
  }

  debug(fields: Fields, message: string): void {
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ ...this.fields, ...fields }, message);
  }

  info(fields: Fields, message: string): void {
    this.logger.info({ ...this.fields, ...fields }, message);
  }

  warn(fields: Fields, message: string): void {
    this.logger.warn({ ...this.fields, ...fields }, message);
  }

  error(fields: Fields, message: string): void {
    this.logger.error({ ...this.fields, ...fields }, message);
  }
}
