// laneway explain SERVICE [LANE] [--from SERVICE]: where a call goes for a lane, and why.
import type { FromCheck } from '../../debug/explain-proxy.js';
import type { Explanation } from '../../debug/explain.js';
import { describeSource } from '../../debug/sources.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand, CliContext } from '../command.js';
import { EXIT, reportApiError, UsageError } from '../errors.js';

type Answer = Explanation & { from?: FromCheck; warnings?: string[] };

function explanationText(a: Answer): string {
  const lane = a.requestedLane === null || a.requestedLane === '' ? 'no lane' : `lane ${JSON.stringify(a.requestedLane)}`;
  const route = a.envoy.via
    ? `route configuration ${a.envoy.routeConfiguration}, virtual host ${a.envoy.virtualHost}, ${a.envoy.via} → cluster ${a.envoy.cluster ?? '?'}`
    : `no route: ${a.envoy.problem ?? 'unknown'}`;
  const lines = [
    `${a.service} for ${lane} → ${a.servedBy}`,
    `  why:       ${a.reason}`,
    `  chain:     ${a.chain.map((s) => `${s.lane}${s.hasInstance ? '' : ' (no instance)'}`).join(' → ')}`,
    ...a.chain.map((s) => `             ${s.note}`),
    `  envoy:     ${route}${a.envoy.agrees ? '' : `  ! ${a.envoy.problem ?? 'disagrees with the model'}`}`,
    `  endpoints: ${a.endpoints.join(', ') || '(none)'}`,
    `  source:    ${describeSource(a.source)}`,
    ...(a.warnings ?? []).map((w) => `  warning:   ${w}`),
  ];
  if (a.from) {
    if (a.from.note) lines.push(`  from ${a.from.service}: ${a.from.note}`);
    for (const p of a.from.proxies) {
      lines.push(`  from ${p.id}: ${p.holdsRoute ? `holds the route (acked routes version ${p.routesVersion})` : `does NOT hold the route: ${p.problems.join('; ')}`}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, named } = parseCommandArgs(args, { lane: { type: 'string' }, from: { type: 'string' } }, ['service', 'lane?']);
  if (named.lane !== undefined && typeof values.lane === 'string') throw new UsageError('give the lane once: as LANE or as --lane');
  const query = new URLSearchParams({ service: named.service! });
  const lane = named.lane ?? values.lane;
  if (typeof lane === 'string') query.set('lane', lane);
  if (typeof values.from === 'string') query.set('from', values.from);
  const answer = await ctx.api('GET', `/v1/explain?${query}`);
  if (answer.status >= 400) return reportApiError(ctx, answer);
  const body = answer.body as Answer;
  if (ctx.output === 'table') ctx.stdout(explanationText(body));
  else ctx.print(body);
  const holds = body.from ? body.from.proxies.length > 0 && body.from.proxies.every((p) => p.holdsRoute) : true;
  return body.envoy.agrees && holds ? EXIT.ok : EXIT.failed;
}

export const explainCommand: CliCommand = {
  name: 'explain',
  summary: 'where a call to a service goes for a lane, and why',
  usage: `usage: laneway explain SERVICE [LANE] [--from SERVICE]
  SERVICE          the called service
  LANE             the request's lane (or --lane LANE); absent: a request without a lane
  --from SERVICE   also check that the connected proxies of SERVICE (or "ingress") hold that route
exit code 1 when the Envoy config or a --from proxy does not route as the model says`,
  run,
};
