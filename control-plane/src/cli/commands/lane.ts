// laneway lane create|list|get|delete|renew|add-service|remove-service
import { keyValues, parseCommandArgs, segment } from '../args.js';
import type { ApiAnswer, CliCommand, CliContext } from '../command.js';
import { EXIT, reportApiError, UsageError } from '../errors.js';
import { forksFromFlags } from '../fork-flags.js';
import type { ForkStatus } from '../../sources/kubernetes/fork-status.js';
import { forkRows, waitForLane, waitTimeoutMs } from '../lane-wait.js';
import { timeLeft } from '../output.js';

type LaneView = {
  name: string; fallback?: string; services: Record<string, string[]>; owner?: string; description?: string;
  labels?: Record<string, string>; ttl?: string; expiresAt?: string; expiresInSeconds?: number; resourceVersion: string;
  /** Endpoints sidecars registered (laneway envoy --register), beside the stored ones. */
  registered?: Record<string, string[]>;
  /** Kubernetes mode, a lane with forks: what its status says of each. */
  status?: { forks?: ForkStatus[] };
};

const USAGE = `usage: laneway lane <command>
  list [--owner NAME] [--label KEY=VALUE]... [--service SERVICE]
  get LANE
  create (LANE | --prefix PREFIX) [--fallback LANE] [--owner NAME] [--description TEXT]
         [--label KEY=VALUE]... [--ttl 2h] [--service SERVICE=HOST:PORT[,HOST:PORT]]...
         [--fork DEPLOYMENT[:CONTAINER]=IMAGE]... [--fork-env DEPLOYMENT[:CONTAINER]:NAME=VALUE]...
         (Kubernetes mode: each --fork deploys a copy of the stable Deployment into the lane)
         [--wait [--timeout 5m]]   (wait until every fork is ready; exit 8: a fork failed, 9: timed out)
  delete LANE [--if-match VERSION]
  renew LANE [--ttl 2h]
  add-service LANE SERVICE --endpoint HOST:PORT [--endpoint HOST:PORT]... [--if-match VERSION]
  remove-service LANE SERVICE [--if-match VERSION]`;

function laneRow(lane: LaneView): string[] {
  const registeredOnly = Object.keys(lane.registered ?? {}).filter((s) => !Object.hasOwn(lane.services, s)).map((s) => `${s} (registered)`);
  const services = [...Object.keys(lane.services), ...registeredOnly];
  return [lane.name, lane.fallback ?? 'stable', services.join(',') || '-', lane.owner ?? '-', timeLeft(lane.expiresInSeconds)];
}
const LANE_COLUMNS = ['NAME', 'FALLBACK', 'SERVICES', 'OWNER', 'TIME LEFT'];

function laneDetail(lane: LaneView): string[][] {
  const rows: string[][] = [['name', lane.name], ['fallback', lane.fallback ?? 'stable']];
  if (lane.owner) rows.push(['owner', lane.owner]);
  if (lane.description) rows.push(['description', lane.description]);
  if (lane.labels && Object.keys(lane.labels).length > 0) rows.push(['labels', Object.entries(lane.labels).map(([k, v]) => `${k}=${v}`).join(',')]);
  if (lane.expiresAt) rows.push(['expires', `${lane.expiresAt} (in ${timeLeft(lane.expiresInSeconds)}${lane.ttl ? `, ttl ${lane.ttl}` : ''})`]);
  for (const [service, endpoints] of Object.entries(lane.services)) rows.push([`services/${service}`, endpoints.join(',')]);
  for (const [service, endpoints] of Object.entries(lane.registered ?? {})) rows.push([`registered/${service}`, endpoints.join(',')]);
  rows.push(...forkRows(lane));
  rows.push(['resourceVersion', lane.resourceVersion]);
  return rows;
}

function printLane(ctx: CliContext, answer: ApiAnswer, done?: string): number {
  if (answer.status >= 400) return reportApiError(ctx, answer);
  const lane = answer.body as LaneView;
  if (done && ctx.output === 'table') ctx.stdout(`lane/${lane.name} ${done}\n`);
  ctx.print(lane, { columns: ['FIELD', 'VALUE'], rows: laneDetail(lane) });
  return EXIT.ok;
}

function ifMatch(version: unknown): Record<string, string> {
  return typeof version === 'string' ? { 'if-match': `"${version}"` } : {};
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { owner: { type: 'string' }, label: { type: 'string', multiple: true }, service: { type: 'string' } }, []);
  const query = new URLSearchParams();
  if (typeof values.owner === 'string') query.set('owner', values.owner);
  if (Array.isArray(values.label)) query.set('label', values.label.join(','));
  if (typeof values.service === 'string') query.set('service', values.service);
  const answer = await ctx.api('GET', `/v1/lanes${query.size > 0 ? `?${query}` : ''}`);
  if (answer.status >= 400) return reportApiError(ctx, answer);
  const items = (answer.body as { items: LaneView[] }).items;
  ctx.print(answer.body, { columns: LANE_COLUMNS, rows: items.map(laneRow) });
  return EXIT.ok;
}

function serviceOverrides(values: unknown): Record<string, string[]> {
  const services: Record<string, string[]> = {};
  for (const [service, endpoints] of Object.entries(keyValues(values, '--service'))) services[service] = endpoints.split(',').filter(Boolean);
  return services;
}

async function create(args: string[], ctx: CliContext): Promise<number> {
  const { values, named } = parseCommandArgs(args, {
    prefix: { type: 'string' }, fallback: { type: 'string' }, owner: { type: 'string' }, description: { type: 'string' },
    label: { type: 'string', multiple: true }, ttl: { type: 'string' }, service: { type: 'string', multiple: true },
    fork: { type: 'string', multiple: true }, 'fork-env': { type: 'string', multiple: true }, wait: { type: 'boolean' }, timeout: { type: 'string' },
  }, ['lane?']);
  if ((named.lane === undefined) === (values.prefix === undefined)) throw new UsageError('give a LANE name or --prefix, one of them');
  if (values.timeout !== undefined && !values.wait) throw new UsageError('--timeout goes with --wait');
  const timeoutMs = waitTimeoutMs(values.timeout);
  const body: Record<string, unknown> = { services: serviceOverrides(values.service) };
  if (named.lane !== undefined) body.name = named.lane;
  if (values.prefix !== undefined) body.namePrefix = values.prefix;
  for (const field of ['fallback', 'owner', 'description', 'ttl'] as const) if (typeof values[field] === 'string') body[field] = values[field];
  if (values.label) body.labels = keyValues(values.label, '--label');
  const forks = forksFromFlags(values.fork, values['fork-env']);
  if (forks) body.forks = forks;
  const answer = await ctx.api('POST', '/v1/lanes', body);
  const code = printLane(ctx, answer, 'created');
  return code === EXIT.ok && values.wait ? waitForLane(ctx, (answer.body as LaneView).name, timeoutMs) : code;
}

async function get(args: string[], ctx: CliContext): Promise<number> {
  const { named } = parseCommandArgs(args, {}, ['lane']);
  return printLane(ctx, await ctx.api('GET', `/v1/lanes/${segment(named.lane!)}`));
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const { values, named } = parseCommandArgs(args, { 'if-match': { type: 'string' } }, ['lane']);
  const answer = await ctx.api('DELETE', `/v1/lanes/${segment(named.lane!)}`, undefined, ifMatch(values['if-match']));
  if (answer.status >= 400) return reportApiError(ctx, answer);
  if (ctx.output === 'table') ctx.stdout(`lane/${named.lane} deleted\n`);
  else ctx.print(answer.body);
  return EXIT.ok;
}

async function renew(args: string[], ctx: CliContext): Promise<number> {
  const { values, named } = parseCommandArgs(args, { ttl: { type: 'string' } }, ['lane']);
  const body = typeof values.ttl === 'string' ? { ttl: values.ttl } : {};
  return printLane(ctx, await ctx.api('POST', `/v1/lanes/${segment(named.lane!)}/renew`, body), 'renewed');
}

async function addService(args: string[], ctx: CliContext): Promise<number> {
  const { values, named } = parseCommandArgs(args, { endpoint: { type: 'string', multiple: true }, 'if-match': { type: 'string' } }, ['lane', 'service']);
  const endpoints = (values.endpoint as string[] | undefined)?.flatMap((e) => e.split(',')).filter(Boolean) ?? [];
  if (endpoints.length === 0) throw new UsageError('give at least one --endpoint HOST:PORT');
  const path = `/v1/lanes/${segment(named.lane!)}/services/${segment(named.service!)}`;
  return printLane(ctx, await ctx.api('PUT', path, { endpoints }, ifMatch(values['if-match'])), `now overrides ${named.service}`);
}

async function removeService(args: string[], ctx: CliContext): Promise<number> {
  const { values, named } = parseCommandArgs(args, { 'if-match': { type: 'string' } }, ['lane', 'service']);
  const path = `/v1/lanes/${segment(named.lane!)}/services/${segment(named.service!)}`;
  return printLane(ctx, await ctx.api('DELETE', path, undefined, ifMatch(values['if-match'])), `no longer overrides ${named.service}`);
}

const SUBCOMMANDS: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  list, ls: list, get, create, delete: remove, rm: remove, renew, 'add-service': addService, 'remove-service': removeService,
};

export const laneCommand: CliCommand = {
  name: 'lane',
  summary: 'create, list, inspect, renew and delete lanes and their service overrides',
  usage: USAGE,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === undefined || !Object.hasOwn(SUBCOMMANDS, sub)) throw new UsageError(sub === undefined ? 'missing command' : `unknown command "lane ${sub}"`);
    return SUBCOMMANDS[sub]!(rest, ctx);
  },
};
