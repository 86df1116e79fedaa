// The `laneway` command line: global options, then a command group from commands/index.ts.
import { pathToFileURL } from 'node:url';
import type { CliCommand, CliContext } from './command.js';
import { extractGlobalOptions, resolveClientConfig } from './client-config.js';
import { COMMANDS } from './commands/index.js';
import { envoyCommand } from './commands/envoy.js';
import { serveCommand } from './commands/serve.js';
import { createCliContext, type CliIo } from './context.js';
import { ClientConfigError, EXIT, UnreachableError, UsageError } from './errors.js';

export interface CliEnvironment extends CliIo {
  env: NodeJS.ProcessEnv;
}

function generalUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: laneway <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`).join('\n')}

options (any command but serve and envoy):
  --server URL       control plane REST API (env LANEWAY_SERVER, default http://127.0.0.1:8080)
  --token TOKEN      API token (env LANEWAY_TOKEN)
  --config FILE      YAML with server, token and ca (env LANEWAY_CONFIG, default ~/.config/laneway/config.yaml)
  --ca FILE          trust this CA (PEM) for an https server (env LANEWAY_CA)
  -o, --output FMT   table (default), json or yaml

exit codes: 0 ok, 1 failed, 2 usage, 3 unreachable, 4 not found, 5 conflict or changed (409/412),
6 not allowed (401/403), 7 refused as invalid (400/413/415/422),
8 a fork will not be ready (--wait), 9 timed out (--wait)
Run "laneway <command> --help" for a command's usage.
`;
}

const wantsHelp = (args: string[]) => args.some((a) => a === '--help' || a === '-h');

/** Runs one command line; returns the exit code. Never throws: every failure is a message on stderr. */
export async function runCli(argv: string[], io: CliEnvironment): Promise<number> {
  // serve takes the control plane's own flags, untouched.
  if (argv[0] === 'serve') return serveCommand.run(argv.slice(1), undefined as never);
  // envoy talks to the xDS server, not the REST API: its --server is the xDS address.
  if (argv[0] === 'envoy') return runEnvoyCommand(argv.slice(1), io);
  let command: CliCommand | undefined;
  try {
    const { options, rest } = extractGlobalOptions(argv);
    const [word, ...args] = rest;
    if (word === undefined || word === 'help' || word === '--help' || word === '-h') {
      (word === undefined ? io.stderr : io.stdout)(generalUsage());
      return word === undefined ? EXIT.usage : EXIT.ok;
    }
    command = COMMANDS.find((c) => c.name === word);
    if (!command) {
      io.stderr(`laneway: unknown command "${word}"\n\n${generalUsage()}`);
      return EXIT.usage;
    }
    if (wantsHelp(args)) {
      io.stdout(`${command.usage}\n`);
      return EXIT.ok;
    }
    return await command.run(args, createCliContext(resolveClientConfig(options, io.env), io));
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`laneway${command ? ` ${command.name}` : ''}: ${err.message}\n${command ? `\n${command.usage}\n` : ''}`);
      return EXIT.usage;
    }
    io.stderr(`laneway: ${(err as Error)?.message ?? String(err)}\n`);
    if (err instanceof ClientConfigError) return EXIT.usage;
    return err instanceof UnreachableError ? EXIT.unreachable : EXIT.failed;
  }
}

async function runEnvoyCommand(args: string[], io: CliEnvironment): Promise<number> {
  if (wantsHelp(args.slice(0, args.includes('--') ? args.indexOf('--') : undefined))) {
    io.stdout(`${envoyCommand.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await envoyCommand.run(args, { stdout: io.stdout, stderr: io.stderr } as CliContext);
  } catch (err) {
    const usage = err instanceof UsageError ? `\n${envoyCommand.usage}\n` : '\n';
    io.stderr(`laneway envoy: ${(err as Error).message}${usage}`);
    return err instanceof UsageError ? EXIT.usage : EXIT.failed;
  }
}

export async function main(): Promise<void> {
  const io: CliEnvironment = { env: process.env, stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  // exitCode, not exit(): `laneway serve` keeps running after its command returns.
  process.exitCode = await runCli(process.argv.slice(2), io);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
