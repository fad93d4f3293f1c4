#!/usr/bin/env node
/**
 * The one entry point and the one error boundary: parses argv, runs a command and maps errors to
 * exit codes. Nothing else calls process.exit.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadCommands } from './commands/index.js';
import { applyEnvOptions } from './commands/env-options.js';
import { interrupt } from './cli-context.js';
import { BbmError, ExitCode, InterruptedError, UsageError } from './errors.js';

/**
 * Signals: the first SIGINT/SIGTERM aborts the run's signal (RunContext.signal); commands stop,
 * clean up and throw its InterruptedError (exit 130/143) saying what they leave behind. One that
 * has not finished STOP_GRACE_MS later is ended here; a second signal ends it at once.
 */
const STOP_GRACE_MS = 1_500;
let stopping: InterruptedError | undefined;
let watchdog: NodeJS.Timeout | undefined;
function onSignal(name: 'SIGINT' | 'SIGTERM'): void {
  if (stopping) {
    process.stderr.write(`bbm: ${name} again: exiting now; what the command was doing may be half done\n`);
    process.exit(stopping.exitCode);
  }
  stopping = interrupt(name);
  watchdog = setTimeout(() => {
    process.stderr.write(`bbm: stopped by ${name}: the command did not finish stopping within ${STOP_GRACE_MS / 1000} s and was ended; what it was doing may be half done\n`);
    process.exit(stopping!.exitCode);
  }, STOP_GRACE_MS);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

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
  if (stopping) {
    // Whatever the command threw while stopping, the run ends as stopped by the signal.
    const stop = error instanceof InterruptedError ? error : stopping;
    process.stderr.write(`bbm: ${stop.message}\n`);
    return stop.exitCode;
  }
  if (error instanceof BbmError) {
    process.stderr.write(`bbm: error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`bbm: hint: ${error.hint}\n`);
    return error.exitCode;
  }
  process.stderr.write(`bbm: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.Failed;
}

function finish(code: number): void {
  clearTimeout(watchdog);
  process.exitCode = code;
  // A stopped run ends now, whatever is still pending (e.g. a config that never finishes loading).
  if (stopping) process.exit(code);
}

main(hideBin(process.argv)).then(
  (code) => finish(stopping ? report(stopping) : code),
  (error: unknown) => finish(report(error)),
);
