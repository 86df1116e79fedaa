// Command-line parsing for command modules: node's parseArgs, with its errors as usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parseCommandArgs(args: string[], options: Options, positionals: string[]): ParsedArgs & { named: Record<string, string> } {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true }) as ParsedArgs;
  } catch (err) {
    throw new UsageError((err as Error).message.split('. To specify')[0]!);
  }
  if (parsed.positionals.length > positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals.length])}`);
  const named: Record<string, string> = {};
  positionals.forEach((name, i) => {
    const value = parsed.positionals[i];
    if (value === undefined && !name.endsWith('?')) throw new UsageError(`missing ${name.toUpperCase()}`);
    if (value !== undefined) named[name.replace(/\?$/, '')] = value;
  });
  return { ...parsed, named };
}

/** `--label team=pay --label env=ci` as {team: "pay", env: "ci"}. */
export function keyValues(values: unknown, flag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of (values as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} takes key=value, got ${JSON.stringify(item)}`);
    result[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return result;
}

/** A path segment for the API; names are checked by the server, this only keeps the URL intact. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
