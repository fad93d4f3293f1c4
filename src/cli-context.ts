import path from 'node:path';
import type { RunContext } from './context.js';
import { InterruptedError } from './errors.js';
import { streamReporter } from './reporter.js';
import { WaitClock } from './timing.js';

/**
 * One CLI run per process: src/cli.ts turns the first SIGINT/SIGTERM into `interrupt()`, and every
 * RunContext of the run carries the same signal, aborted with an InterruptedError as its reason.
 */
let made: AbortController | undefined;
// Made on first use: `bbm --version` never needs it (start-up, docs/performance.md).
const controller = (): AbortController => (made ??= new AbortController());

let clock: WaitClock | undefined;
/** The run's one WaitClock: every RunContext of the run counts its waits there (timing.ts). */
export const runWaits = (): WaitClock => (clock ??= new WaitClock());

/** Whether a signal has stopped the run. */
export const runStopped = (): boolean => made?.signal.aborted === true;

export function interrupt(signalName: 'SIGINT' | 'SIGTERM'): InterruptedError {
  if (!controller().signal.aborted) controller().abort(new InterruptedError(signalName));
  return controller().signal.reason as InterruptedError;
}

/** The RunContext of a real CLI run: the only place that reads process.* for library code. */
export function cliContext(cwd?: string): RunContext {
  return {
    cwd: path.resolve(cwd ?? '.'),
    env: process.env,
    reporter: streamReporter(process.stderr),
    stdout: (line) => process.stdout.write(`${line}\n`),
    signal: controller().signal,
    waits: runWaits(),
  };
}
