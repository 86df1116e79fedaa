// laneway proxy status|dump|diff: what each connected Envoy was sent and runs, and how a live
// Envoy's admin /config_dump differs from what the control plane sent it.
import { diffConfigDumps, type Difference, type KindStatus } from '../../debug/diff.js';
import type { ProxyView } from '../../debug/proxy-view.js';
import { KIND_XDS_NAME, RESOURCE_KINDS } from '../../debug/resources.js';
import { parseCommandArgs, segment } from '../args.js';
import type { CliCommand, CliContext } from '../command.js';
import { EXIT, reportApiError, UnreachableError, UsageError } from '../errors.js';

const XDS = ['CDS', 'EDS', 'LDS', 'RDS'];

function nackLines(p: ProxyView): string[] {
  return XDS.filter((t) => p.types[t]?.nackError).map((t) => `${p.id} ${t} NACKED: ${p.types[t]!.nackError!.trim()}\n`);
}

type Registered = ProxyView & { registration?: { service: string; lane: string; address: string; status: string; reason?: string } };

/** What a sidecar registered (laneway envoy --register); `all`: active ones too, not only conflicts and refusals. */
function registrationLines(p: Registered, all: boolean): string[] {
  const r = p.registration;
  if (!r || (!all && r.status === 'active')) return [];
  return [`${p.id} registers ${r.address} as ${r.service}/${r.lane}: ${r.status.toUpperCase()}${r.reason ? `: ${r.reason}` : ''}\n`];
}

async function status(args: string[], ctx: CliContext): Promise<number> {
  const { named } = parseCommandArgs(args, {}, ['proxy?']);
  if (named.proxy !== undefined) return statusOfOne(named.proxy, ctx);
  const answer = await ctx.api('GET', '/v1/proxies');
  if (answer.status >= 400) return reportApiError(ctx, answer);
  const items = (answer.body as { items: ProxyView[] }).items;
  const rows = items.map((p) => [p.id, p.kind ?? '-', p.service ?? '-', p.lane ?? '-', ...XDS.map((t) => p.types[t]?.status ?? '-'), p.replica]);
  ctx.print(answer.body, { columns: ['NAME', 'KIND', 'SERVICE', 'LANE', ...XDS, 'REPLICA'], rows });
  if (ctx.output === 'table') for (const p of items) for (const line of [...nackLines(p), ...registrationLines(p, false)]) ctx.stdout(line);
  return EXIT.ok;
}

async function statusOfOne(id: string, ctx: CliContext): Promise<number> {
  const answer = await ctx.api('GET', `/v1/proxies/${segment(id)}`);
  if (answer.status >= 400) return reportApiError(ctx, answer);
  const p = answer.body as ProxyView;
  const rows = XDS.map((t) => {
    const s = p.types[t]!;
    return [t, s.status, s.sentVersion ?? '-', s.ackedVersion ?? '-', s.nonce ?? '-', String(s.responsesSent), String(s.nacks), String(s.resources)];
  });
  ctx.print(p, { columns: ['TYPE', 'STATUS', 'SENT', 'ACKED', 'NONCE', 'RESPONSES', 'NACKS', 'RESOURCES'], rows });
  if (ctx.output === 'table') {
    ctx.stdout(`\n${p.id}: ${p.kind ?? 'unknown kind'}${p.service ? ` of ${p.service}` : ''}, connected to ${p.replica} since ${p.connectedAt}\n`);
    for (const line of [...nackLines(p), ...registrationLines(p, true)]) ctx.stdout(line);
  }
  return EXIT.ok;
}

type DumpJson = { configs?: Array<Record<string, any>> };

/** One row per resource of a config dump: KIND, NAME, VERSION, STATUS. */
function dumpRows(dump: DumpJson): string[][] {
  const rows: string[][] = [];
  for (const c of dump.configs ?? []) {
    const push = (kind: string, name: string | undefined, entry: any) => rows.push([kind, name ?? '?', entry?.version_info ?? entry?.active_state?.version_info ?? '-', entry?.client_status ?? '-']);
    for (const e of c.dynamic_active_clusters ?? []) push('cluster', e.cluster?.name, e);
    for (const e of c.dynamic_endpoint_configs ?? []) push('endpoints', e.endpoint_config?.cluster_name, e);
    for (const e of c.dynamic_listeners ?? []) push('listener', e.name, e);
    for (const e of c.dynamic_route_configs ?? []) push('routes', e.route_config?.name, e);
  }
  return rows;
}

async function dump(args: string[], ctx: CliContext): Promise<number> {
  const { values, named } = parseCommandArgs(args, { resource: { type: 'string' }, acked: { type: 'boolean' } }, ['proxy']);
  const query = new URLSearchParams();
  if (typeof values.resource === 'string') query.set('resource', values.resource);
  if (values.acked === true) query.set('state', 'acked');
  const qs = query.size > 0 ? `?${query}` : '';
  const answer = await ctx.api('GET', `/v1/proxies/${segment(named.proxy!)}/config_dump${qs}`);
  if (answer.status >= 400) return reportApiError(ctx, answer);
  ctx.print(answer.body, { columns: ['KIND', 'NAME', 'VERSION', 'STATUS'], rows: dumpRows(answer.body as DumpJson) });
  return EXIT.ok;
}

async function fetchEnvoyDump(admin: string): Promise<unknown> {
  let url: URL;
  try {
    url = new URL('/config_dump?include_eds', admin);
  } catch {
    throw new UsageError(`--admin must be the Envoy admin URL, such as http://127.0.0.1:19000; got ${JSON.stringify(admin)}`);
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new UnreachableError(`cannot reach Envoy's admin at ${admin}: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`);
  }
  if (!response.ok) throw new Error(`Envoy's admin ${url.href} answered HTTP ${response.status}`);
  return response.json();
}

function kindStatus(p: ProxyView): KindStatus {
  return Object.fromEntries(RESOURCE_KINDS.map((k) => {
    const t = p.types[KIND_XDS_NAME[k]];
    return [k, { status: t?.status ?? 'IGNORED', nackError: t?.nackError ?? null }];
  }));
}

function differenceLines(d: Difference): string[] {
  const head = `${d.kind}${d.name ? ` ${d.name}` : ''}: ${d.change}${d.note ? ` (${d.note.trim()})` : ''}\n`;
  const fields = (d.fields ?? []).map((f) => `    ${f.path}: ours ${JSON.stringify(f.ours) ?? '(absent)'}, envoy ${JSON.stringify(f.envoy) ?? '(absent)'}\n`);
  return [head, ...fields];
}

async function diff(args: string[], ctx: CliContext): Promise<number> {
  const { values, named } = parseCommandArgs(args, { admin: { type: 'string' } }, ['proxy']);
  if (typeof values.admin !== 'string') throw new UsageError('give the live Envoy\'s admin address with --admin http://HOST:PORT');
  const id = segment(named.proxy!);
  const [ours, proxy] = [await ctx.api('GET', `/v1/proxies/${id}/config_dump`), await ctx.api('GET', `/v1/proxies/${id}`)];
  if (ours.status >= 400) return reportApiError(ctx, ours);
  if (proxy.status >= 400) return reportApiError(ctx, proxy);
  const differences = diffConfigDumps(ours.body, await fetchEnvoyDump(values.admin), kindStatus(proxy.body as ProxyView));
  if (ctx.output !== 'table') ctx.print({ proxy: named.proxy, admin: values.admin, differences });
  else if (differences.length === 0) ctx.stdout(`no differences: ${named.proxy} runs the dynamic resources the control plane sent it\n`);
  else for (const d of differences) for (const line of differenceLines(d)) ctx.stdout(line);
  return differences.length === 0 ? EXIT.ok : EXIT.failed;
}

const SUBCOMMANDS: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = { status, dump, diff };

export const proxyCommand: CliCommand = {
  name: 'proxy',
  summary: 'connected Envoys: sync status, config dumps, diff against a live Envoy',
  usage: `usage: laneway proxy <command>
  status [PROXY]                      every connected proxy (SYNCED, STALE, NACKED, NOT SENT per type), or one in detail
  dump PROXY [--resource KINDS] [--acked]
                                      what the control plane sent PROXY, as Envoy's /config_dump (-o json for all of it);
                                      KINDS: comma-separated clusters,endpoints,listeners,routes; --acked: what it accepted
  diff PROXY --admin URL              compare with the live Envoy's admin /config_dump (dynamic resources only);
                                      exit code 0: no differences, 1: differences`,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === undefined || !Object.hasOwn(SUBCOMMANDS, sub)) throw new UsageError(sub === undefined ? 'missing command' : `unknown command "proxy ${sub}"`);
    return SUBCOMMANDS[sub]!(rest, ctx);
  },
};
