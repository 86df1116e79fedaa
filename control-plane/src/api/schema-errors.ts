// Turns JSON Schema (Ajv) failures into the model's field errors: the same paths
// ("lanes/feature-x/services/orders/0") and, where the model has one, the same wording.
import type { FieldError } from '../model/errors.js';

/** The parts of an Ajv error we read; Fastify's Ajv runs with `verbose`, so data and parentSchema are set. */
export interface SchemaFailure {
  keyword: string;
  instancePath: string;
  schemaPath?: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
  parentSchema?: Record<string, unknown>;
}

function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function article(type: string): string {
  const names: Record<string, string> = { object: 'an object', array: 'a list', integer: 'an integer', string: 'a string', number: 'a number', boolean: 'true or false', null: 'null' };
  return names[type] ?? type;
}

function typeReason(failure: SchemaFailure, atRoot: boolean): string {
  const expected = [failure.params.type].flat().map((t) => article(String(t))).join(' or ');
  return atRoot ? `the body must be ${expected === 'an object' ? 'a JSON object' : expected}, got ${show(failure.data)}` : `must be ${expected}, got ${show(failure.data)}`;
}

/** The path and reason for one failure, or undefined to use Ajv's own message. */
function explain(failure: SchemaFailure, path: string): FieldError {
  const { keyword, params, data, parentSchema } = failure;
  const description = parentSchema?.description;
  switch (keyword) {
    case 'type':
      return { path, reason: typeReason(failure, failure.instancePath === '') };
    case 'required':
      return { path: `${path}/${String(params.missingProperty)}`, reason: 'is required' };
    case 'additionalProperties': {
      const allowed = Object.keys((parentSchema?.properties as object | undefined) ?? {});
      return { path: `${path}/${String(params.additionalProperty)}`, reason: `unknown field (allowed: ${allowed.join(', ')})` };
    }
    case 'pattern':
    case 'format':
      return { path, reason: typeof description === 'string' ? `${show(data)} is not ${description}` : `${show(data)} does not match ${String(params.pattern ?? params.format)}` };
    case 'enum':
      return { path, reason: `must be one of ${(params.allowedValues as unknown[]).map(show).join(', ')}, got ${show(data)}` };
    case 'maxLength':
      return { path, reason: `must be at most ${String(params.limit)} characters, got ${String(data).length}` };
    case 'minLength':
      return { path, reason: `must be at least ${String(params.limit)} characters` };
    case 'minimum':
    case 'maximum':
      return { path, reason: `must be ${keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}, got ${show(data)}` };
    case 'maxItems':
      return { path, reason: `must have at most ${String(params.limit)} items, got ${(data as unknown[]).length}` };
    case 'maxProperties':
      return { path, reason: `must have at most ${String(params.limit)} entries, got ${Object.keys(data as object).length}` };
    case 'propertyNames':
      return { path: `${path}/${String(params.propertyName)}`, reason: 'is not a valid name' };
    case 'minItems':
      return { path, reason: `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}` };
    case 'uniqueItems':
      return { path: `${path}/${String(params.i)}`, reason: `duplicate ${show((data as unknown[])[params.i as number])} (also at ${path}/${String(params.j)})` };
    case 'not':
      return { path, reason: `${show(data)} is ${String((parentSchema?.not as { description?: string } | undefined)?.description ?? 'not allowed')}` };
    case 'oneOf':
      return exactlyOneField(failure, path);
  }
  return { path, reason: failure.message ?? 'is invalid' };
}

/** `oneOf` of branches that each require one field: give exactly one of them (name or namePrefix). */
function exactlyOneField({ data, parentSchema }: SchemaFailure, path: string): FieldError {
  const fields = ((parentSchema?.oneOf as Array<{ required?: string[] }> | undefined) ?? []).flatMap((branch) => branch.required ?? []);
  const given = fields.filter((field) => typeof data === 'object' && data !== null && Object.hasOwn(data, field));
  if (given.length === 0) return { path: `${path}/${fields[0]}`, reason: `is required (or give ${fields.slice(1).join(' or ')})` };
  return { path: `${path}/${given[1] ?? given[0]}`, reason: `give ${fields.join(' or ')}, not both` };
}

function pointerToPath(instancePath: string): string {
  return instancePath.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** Field errors under `prefix` ("lanes/feature-x", "query"), one per failure, without duplicates. */
export function fieldErrorsFromSchema(failures: SchemaFailure[], prefix: string): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const failure of failures) {
    // propertyNames also reports the inner failure of the name itself; the outer one says it better.
    if (failure.keyword === 'if' || failure.instancePath.endsWith('/propertyName')) continue;
    // A oneOf's own failure says what to give; its branches' failures would only repeat it.
    if (failure.schemaPath?.includes('/oneOf/')) continue;
    const error = explain(failure, `${prefix}${pointerToPath(failure.instancePath)}`);
    const key = `${error.path}\n${error.reason}`;
    if (!seen.has(key)) errors.push(error);
    seen.add(key);
  }
  return errors;
}
