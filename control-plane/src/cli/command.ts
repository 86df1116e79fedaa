// The shape every `laneway <group>` command module exports, so groups can be added independently.

export type OutputFormat = 'table' | 'json' | 'yaml';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: any;
}

export interface CliContext {
  /** Base URL of the control plane's REST API, e.g. http://127.0.0.1:8080. */
  server: string;
  token?: string;
  output: OutputFormat;
  /** Calls the API; never throws for HTTP errors (check status), throws only when unreachable. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  /** Writes data in the chosen format: `rows` as a table for people, `data` as JSON/YAML for scripts. */
  print(data: unknown, rows?: { columns: string[]; rows: string[][] }): void;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface CliCommand {
  /** The group word: `laneway <name> ...`. */
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}
