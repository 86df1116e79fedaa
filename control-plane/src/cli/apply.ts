// `laneway apply -f` and `laneway service apply -f`: put every object of a YAML file (kubectl
// style, "---" between documents, each with a kind), in an order the server accepts. Applying the
// same file again changes nothing.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { segment } from './args.js';
import type { CliContext } from './command.js';
import { EXIT, reportApiError, UsageError } from './errors.js';

export type Kind = 'Service' | 'Lane' | 'Settings';
const KINDS: Kind[] = ['Service', 'Lane', 'Settings'];

export interface Definition {
  kind: Kind;
  name: string;
  body: Record<string, unknown>;
}

interface Applied {
  kind: Kind;
  name: string;
  outcome: 'created' | 'configured' | 'unchanged' | 'failed';
  resourceVersion?: string;
}

export function readDefinitions(file: string, readStdin: () => string): Definition[] {
  let text: string;
  try {
    text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const definitions: Definition[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `${file}: document ${i + 1}`;
    if (doc.errors.length > 0) throw new UsageError(`${where}: not valid YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) return;
    const { kind, ...body } = (typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
    if (!KINDS.includes(kind as Kind)) throw new UsageError(`${where}: kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
    if (kind !== 'Settings' && typeof body.name !== 'string') throw new UsageError(`${where}: a ${String(kind)} needs a name`);
    definitions.push({ kind: kind as Kind, name: kind === 'Settings' ? 'settings' : (body.name as string), body });
  });
  return definitions;
}

/** Services, then lanes with each fallback before the lanes that use it, then settings (they name services). */
function applyOrder(definitions: Definition[]): Definition[] {
  const lanes = new Map(definitions.filter((d) => d.kind === 'Lane').map((d) => [d.name, d]));
  const ordered: Definition[] = [];
  const visit = (lane: Definition, path: Set<string>) => {
    if (ordered.includes(lane) || path.has(lane.name)) return;
    const fallback = lanes.get(String(lane.body.fallback));
    if (fallback) visit(fallback, new Set([...path, lane.name]));
    ordered.push(lane);
  };
  for (const lane of lanes.values()) visit(lane, new Set());
  return [...definitions.filter((d) => d.kind === 'Service'), ...ordered, ...definitions.filter((d) => d.kind === 'Settings')];
}

function pathOf(definition: Definition): string {
  return definition.kind === 'Settings' ? '/v1/settings' : `/v1/${definition.kind === 'Service' ? 'services' : 'lanes'}/${segment(definition.name)}`;
}

async function applyOne(ctx: CliContext, definition: Definition): Promise<{ applied: Applied; exit: number }> {
  const path = pathOf(definition);
  const before = await ctx.api('GET', path);
  const previous = before.status === 200 ? (before.body as { resourceVersion?: string }).resourceVersion : undefined;
  const answer = await ctx.api('PUT', path, definition.body);
  const label = definition.kind === 'Settings' ? 'settings' : `${definition.kind.toLowerCase()}/${definition.name}`;
  if (answer.status >= 400) return { applied: { kind: definition.kind, name: definition.name, outcome: 'failed' }, exit: reportApiError(ctx, answer, label) };
  const resourceVersion = (answer.body as { resourceVersion?: string }).resourceVersion;
  const outcome = answer.status === 201 ? 'created' : resourceVersion === previous ? 'unchanged' : 'configured';
  if (ctx.output === 'table') ctx.stdout(`${label} ${outcome}\n`);
  return { applied: { kind: definition.kind, name: definition.name, outcome, ...(resourceVersion && { resourceVersion }) }, exit: EXIT.ok };
}

/** Applies every definition, going on past failures; the exit code is the first failure's. */
export async function applyDefinitions(ctx: CliContext, definitions: Definition[]): Promise<number> {
  let exit: number = EXIT.ok;
  const results: Applied[] = [];
  for (const definition of applyOrder(definitions)) {
    const { applied, exit: code } = await applyOne(ctx, definition);
    results.push(applied);
    if (exit === EXIT.ok) exit = code;
  }
  if (ctx.output !== 'table') ctx.print({ items: results });
  return exit;
}
