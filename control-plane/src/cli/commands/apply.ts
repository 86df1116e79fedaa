// laneway apply -f FILE: services, lanes and settings from one YAML file, idempotently.
import { readFileSync } from 'node:fs';
import { applyDefinitions, readDefinitions } from '../apply.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { UsageError } from '../errors.js';

export const readStdin = (): string => readFileSync(0, 'utf8');

export const applyCommand: CliCommand = {
  name: 'apply',
  summary: 'create or update every Service, Lane and Settings in a YAML file (- for stdin)',
  usage: `usage: laneway apply -f FILE [-f FILE]...

FILE holds YAML documents separated by "---", each with a kind:
  kind: Service             kind: Lane                    kind: Settings
  name: orders              name: feature-x               laneHeader: x-lane
  protocol: http            fallback: stable              entryService: frontend
  port: 8080                ttl: 8h
  endpoints: [10.0.0.1:80]  services:
                              orders: [10.0.1.7:8080]`,
  async run(args, ctx) {
    const { values } = parseCommandArgs(args, { filename: { type: 'string', short: 'f', multiple: true } }, []);
    const files = (values.filename as string[] | undefined) ?? [];
    if (files.length === 0) throw new UsageError('give a file with -f FILE (or -f - for stdin)');
    return applyDefinitions(ctx, files.flatMap((file) => readDefinitions(file, readStdin)));
  },
};
