#!/usr/bin/env node
/**
 * The one entry point and the one error boundary: parses argv, runs a command and maps errors to
 * exit codes. Nothing else calls process.exit.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadCommands } from './commands/index.js';
import { applyEnvOptions } from './commands/env-options.js';
import { BbmError, ExitCode, UsageError } from './errors.js';

async function main(argv: string[]): Promise<number> {
  let parser = yargs(argv)
    .scriptName('bbm')
    .usage('$0 <command> [options]\n\nContinuous delivery for Buildbot and Marathon. Every option can also be set\nas an environment variable BBM_<OPTION> (e.g. --marathon-url → BBM_MARATHON_URL).')
    // BBM_<OPTION> for the running command's own options only (see env-options.ts for why not .env()).
    .middleware(((args: Record<string, unknown>, y: unknown) => {
      applyEnvOptions(args, (y as { getOptions(): Parameters<typeof applyEnvOptions>[1] }).getOptions(), argv, process.env);
    }) as never, true)
    .strict()
    .strictCommands()
    .demandCommand(1, 'Name a command; `bbm --help` lists them.')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(`${message}\nRun \`bbm --help\` for the commands and options.`);
    });
  for (const command of await loadCommands(argv)) parser = parser.command(command);
  await parser.help().alias('h', 'help').version().parseAsync();
  return ExitCode.Ok;
}

function report(error: unknown): number {
  if (error instanceof BbmError) {
    process.stderr.write(`bbm: error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`bbm: hint: ${error.hint}\n`);
    return error.exitCode;
  }
  process.stderr.write(`bbm: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.Failed;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
