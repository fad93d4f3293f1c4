import path from 'node:path';
import type { RunContext } from './context.js';
import { streamReporter } from './reporter.js';

/** The RunContext of a real CLI run: the only place that reads process.* for library code. */
export function cliContext(cwd?: string): RunContext {
  const controller = new AbortController();
  const abort = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    cwd: path.resolve(cwd ?? '.'),
    env: process.env,
    reporter: streamReporter(process.stderr),
    stdout: (line) => process.stdout.write(`${line}\n`),
    signal: controller.signal,
  };
}
