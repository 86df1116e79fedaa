// laneway doctor: which services forward the lane, from hop records (GET /v1/propagation): a table
// of services, then one line per problem saying what to fix. Exit code 1 when a problem is found.
import type { PropagationView } from '../../observe/view.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand, CliContext } from '../command.js';
import { EXIT, reportApiError } from '../errors.js';
import { renderTable } from '../output.js';

const counts = (byLane: Record<string, number>) =>
  Object.entries(byLane).map(([lane, n]) => `${lane}:${n}`).join(' ') || '-';

function doctorText(view: PropagationView): string {
  const rows = view.services.map((s) => [s.service, s.status, counts(s.received.inLanes), String(s.received.withoutLane), counts(s.sent.withLane), String(s.sent.withoutLane)]);
  const table = renderTable({ columns: ['SERVICE', 'STATUS', 'RECEIVED IN LANES', 'WITHOUT', 'SENT WITH LANE', 'WITHOUT'], rows });
  const problems = view.services.flatMap((s) => s.problems.map((p) => `${p.rule === 'trace' ? 'DROPS LANE' : 'LIKELY DROPS LANE'}: ${p.advice}`));
  const notes: string[] = [];
  if (!view.hopRecords) notes.push('hop records are off: set settings.hopRecords to true (laneway apply, or PUT /v1/settings) so proxies report every hop');
  else if (view.records.used === 0) notes.push('no hop records yet: send some requests through the mesh');
  const summary = problems.length === 0 ? `no service drops the lane (window ${view.windowSeconds}s, ${view.records.used} hop records)` : `${problems.length} problem(s):`;
  return `${table}\n${[...notes, summary, ...problems].join('\n')}\n`;
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  parseCommandArgs(args, {}, []);
  const answer = await ctx.api('GET', '/v1/propagation');
  if (answer.status >= 400) return reportApiError(ctx, answer);
  const view = answer.body as PropagationView;
  if (ctx.output === 'table') ctx.stdout(doctorText(view));
  else ctx.print(view);
  return view.services.some((s) => s.problems.length > 0) ? EXIT.failed : EXIT.ok;
}

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'which services drop the lane (from hop records), and what to fix',
  usage: `usage: laneway doctor
  Reads GET /v1/propagation: per service, ok / drops-lane (seen dropping it within a trace) /
  likely-drops-lane (received requests in a lane, sent none with it) / no-data.
exit code 1 when a service drops the lane`,
  run,
};
