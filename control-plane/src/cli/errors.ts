// Exit codes scripts can test, and API errors printed as the API's own message, never a stack.
import type { ApiAnswer, CliContext } from './command.js';

export const EXIT = {
  ok: 0,
  /** Anything else that failed (including a 5xx from the server). */
  failed: 1,
  /** The command line was wrong; usage was printed. */
  usage: 2,
  /** The control plane could not be reached. */
  unreachable: 3,
  notFound: 4,
  /** 409 or 412: the object is in use, exists already, or changed since it was read. */
  conflict: 5,
  /** 401 or 403: no token, an unknown token, or a viewer token for a write. */
  denied: 6,
  /** 400, 413, 415 or 422: the definition or request was refused. */
  invalid: 7,
  /** --wait: a fork reports a reason waiting will not fix (image pull error, crash loop, no such workload, quota). */
  forkFailed: 8,
  /** --wait: the timeout passed before every fork was ready. */
  timedOut: 9,
} as const;

/** A wrong command line: the message and the command's usage go to stderr, exit code 2. */
export class UsageError extends Error {}

/** The server, token, output or config file settings are wrong: exit code 2, without a command's usage. */
export class ClientConfigError extends Error {}

/** The control plane did not answer at all. */
export class UnreachableError extends Error {}

export function exitCodeFor(status: number): number {
  if (status < 400) return EXIT.ok;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412) return EXIT.conflict;
  if (status === 401 || status === 403) return EXIT.denied;
  if (status === 400 || status === 413 || status === 415 || status === 422) return EXIT.invalid;
  return EXIT.failed;
}

/** Prints the API's error ("laneway: <message>" and one line per detail); returns the exit code. */
export function reportApiError(ctx: CliContext, answer: ApiAnswer, what?: string): number {
  const body = answer.body as { message?: unknown; details?: Array<{ path?: unknown; reason?: unknown }> } | undefined;
  const message = typeof body?.message === 'string' ? body.message : `the control plane answered HTTP ${answer.status}`;
  ctx.stderr(`laneway: ${what ? `${what}: ` : ''}${message}\n`);
  const details = Array.isArray(body?.details) ? body.details : [];
  // The message already names the first detail; list them all only when there are several.
  if (details.length > 1) for (const d of details) ctx.stderr(`  ${String(d.path)}: ${String(d.reason)}\n`);
  return exitCodeFor(answer.status);
}
