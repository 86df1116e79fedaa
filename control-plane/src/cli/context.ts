// The CliContext every command gets: an API client and output in the chosen format.
import type { ApiAnswer, CliContext } from './command.js';
import type { ClientConfig } from './client-config.js';
import { UnreachableError } from './errors.js';
import { fetchTrustingCa } from './https-ca.js';
import { render } from './output.js';

const TIMEOUT_MS = 30_000;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

async function parseBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}

export function createCliContext(config: ClientConfig, io: CliIo): CliContext {
  return {
    server: config.server,
    ...(config.token && { token: config.token }),
    output: config.output,
    stdout: io.stdout,
    stderr: io.stderr,
    async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
      const all: Record<string, string> = { accept: 'application/json', ...headers };
      if (body !== undefined) all['content-type'] ??= 'application/json';
      if (config.token) all.authorization = `Bearer ${config.token}`;
      let response: Response;
      try {
        const init = { method, headers: all, ...(body !== undefined && { body: JSON.stringify(body) }), signal: AbortSignal.timeout(TIMEOUT_MS) };
        const url = `${config.server}${path}`;
        response = config.ca && url.startsWith('https:') ? await fetchTrustingCa(url, init, config.ca) : await fetch(url, init);
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new UnreachableError(`cannot reach the control plane at ${config.server}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
      }
      return { status: response.status, headers: response.headers, body: await parseBody(response) };
    },
    print(data: unknown, rows?: { columns: string[]; rows: string[][] }): void {
      io.stdout(render(config.output, data, rows));
    },
  };
}
