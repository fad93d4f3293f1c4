import type { Reporter } from './reporter.js';
import type { WaitClock } from './timing.js';

/**
 * What every library entry point gets from the edge instead of reading globals:
 * the CLI builds one from process.* once; tests build their own.
 */
export interface RunContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  reporter: Reporter;
  /** The command's result on stdout (a tag, a digest, JSON); one call per line. */
  stdout: (line: string) => void;
  signal?: AbortSignal;
  /** Where the command's waits on external systems are counted (timing.ts); absent: not counted. */
  waits?: WaitClock;
}
