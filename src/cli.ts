#!/usr/bin/env node
/**
 * The one entry point and the one error boundary: parses argv, runs a command and maps errors to
 * exit codes. Nothing else calls process.exit.
 */
import { loadCommands } from './commands/index.js';
import { fastParse } from './commands/fast-parse.js';
import { interrupt } from './cli-context.js';
import { BbmError, ExitCode, InterruptedError } from './errors.js';
import { packageVersion } from './package-root.js';

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

/**
 * Start-up is most of a build step's own time, so the common lines skip yargs: `bbm --version`
 * alone, and a plain call of one command that fast-parse.ts reads from the command's declaration.
 * Everything else (help, mistakes, anything unusual) goes to yargs in cli-yargs.ts, loaded only then.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return ExitCode.Ok;
  }
  const commands = await loadCommands(argv);
  const args = commands.length === 1 ? fastParse(commands[0]!.spec, argv, process.env) : undefined;
  if (args) await commands[0]!.handler(args as never);
  else await (await import('./cli-yargs.js')).parseWithYargs(argv, commands);
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

main(process.argv.slice(2)).then(
  (code) => finish(stopping ? report(stopping) : code),
  (error: unknown) => finish(report(error)),
);
