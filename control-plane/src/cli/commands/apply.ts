// laneway apply -f FILE: services, lanes and settings from one YAML file, idempotently.
import { readFileSync } from 'node:fs';
import { applyDefinitions, readDefinitions } from '../apply.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand, CliContext } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { waitForLane, waitTimeoutMs } from '../lane-wait.js';

export const readStdin = (): string => readFileSync(0, 'utf8');

export const applyCommand: CliCommand = {
  name: 'apply',
  summary: 'create or update every Service, Lane and Settings in a YAML file (- for stdin)',
  usage: `usage: laneway apply -f FILE [-f FILE]... [--wait [--timeout 5m]]

--wait: then wait until every fork of every lane in the files is ready (exit 8: a fork failed, 9: timed out).

FILE holds YAML documents separated by "---", each with a kind:
  kind: Service             kind: Lane                    kind: Settings
  name: orders              name: feature-x               laneHeader: x-lane
  protocol: http            fallback: stable              entryService: frontend
  port: 8080                ttl: 8h
  endpoints: [10.0.0.1:80]  services:
                              orders: [10.0.1.7:8080]`,
  async run(args, ctx) {
    const { values } = parseCommandArgs(args, { filename: { type: 'string', short: 'f', multiple: true }, wait: { type: 'boolean' }, timeout: { type: 'string' } }, []);
    const files = (values.filename as string[] | undefined) ?? [];
    if (files.length === 0) throw new UsageError('give a file with -f FILE (or -f - for stdin)');
    if (values.timeout !== undefined && !values.wait) throw new UsageError('--timeout goes with --wait');
    const timeoutMs = waitTimeoutMs(values.timeout);
    const definitions = files.flatMap((file) => readDefinitions(file, readStdin));
    const code = await applyDefinitions(ctx, definitions);
    if (code !== EXIT.ok || !values.wait) return code;
    return waitForLanes(ctx, definitions.filter((d) => d.kind === 'Lane').map((d) => d.name), timeoutMs);
  },
};

/** Waits for each lane in turn, all within one timeout. */
async function waitForLanes(ctx: CliContext, names: string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    const code = await waitForLane(ctx, name, Math.max(0, deadline - Date.now()));
    if (code !== EXIT.ok) return code;
  }
  return EXIT.ok;
}
