// laneway service list|get|apply|delete
import { applyDefinitions, readDefinitions } from '../apply.js';
import { parseCommandArgs, segment } from '../args.js';
import type { CliCommand, CliContext } from '../command.js';
import { EXIT, reportApiError, UsageError } from '../errors.js';
import { readStdin } from './apply.js';

type ServiceView = { name: string; protocol: string; port: number; endpoints: string[]; registered?: string[]; resourceVersion: string };

const COLUMNS = ['NAME', 'PROTOCOL', 'PORT', 'ENDPOINTS'];
const endpoints = (s: ServiceView) => [...s.endpoints, ...(s.registered ?? []).map((e) => `${e} (registered)`)];
const row = (s: ServiceView) => [s.name, s.protocol, String(s.port), endpoints(s).join(',') || '-'];

async function list(args: string[], ctx: CliContext): Promise<number> {
  parseCommandArgs(args, {}, []);
  const answer = await ctx.api('GET', '/v1/services');
  if (answer.status >= 400) return reportApiError(ctx, answer);
  ctx.print(answer.body, { columns: COLUMNS, rows: (answer.body as { items: ServiceView[] }).items.map(row) });
  return EXIT.ok;
}

async function get(args: string[], ctx: CliContext): Promise<number> {
  const { named } = parseCommandArgs(args, {}, ['service']);
  const answer = await ctx.api('GET', `/v1/services/${segment(named.service!)}`);
  if (answer.status >= 400) return reportApiError(ctx, answer);
  ctx.print(answer.body, { columns: COLUMNS, rows: [row(answer.body as ServiceView)] });
  return EXIT.ok;
}

async function apply(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { filename: { type: 'string', short: 'f', multiple: true } }, []);
  const files = (values.filename as string[] | undefined) ?? [];
  if (files.length === 0) throw new UsageError('give a file with -f FILE (or -f - for stdin)');
  const definitions = files.flatMap((file) => readDefinitions(file, readStdin));
  const other = definitions.find((d) => d.kind !== 'Service');
  if (other) throw new UsageError(`${other.kind.toLowerCase()}/${other.name}: service apply takes only kind: Service; use laneway apply -f for lanes and settings`);
  return applyDefinitions(ctx, definitions);
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const { values, named } = parseCommandArgs(args, { 'if-match': { type: 'string' } }, ['service']);
  const headers: Record<string, string> = typeof values['if-match'] === 'string' ? { 'if-match': `"${values['if-match']}"` } : {};
  const answer = await ctx.api('DELETE', `/v1/services/${segment(named.service!)}`, undefined, headers);
  if (answer.status >= 400) return reportApiError(ctx, answer);
  if (ctx.output === 'table') ctx.stdout(`service/${named.service} deleted\n`);
  else ctx.print(answer.body);
  return EXIT.ok;
}

const SUBCOMMANDS: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = { list, ls: list, get, apply, delete: remove, rm: remove };

export const serviceCommand: CliCommand = {
  name: 'service',
  summary: 'list and inspect services; apply them from YAML; delete them',
  usage: `usage: laneway service <command>
  list
  get SERVICE
  apply -f FILE         (YAML documents of kind: Service; - for stdin)
  delete SERVICE [--if-match VERSION]`,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === undefined || !Object.hasOwn(SUBCOMMANDS, sub)) throw new UsageError(sub === undefined ? 'missing command' : `unknown command "service ${sub}"`);
    return SUBCOMMANDS[sub]!(rest, ctx);
  },
};
