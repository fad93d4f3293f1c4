/**
 * Runs in a worker thread (src/config/load.ts): type-checks a TypeScript config, then imports it
 * and posts back its default export as plain data. In a thread, the seconds of type checking do
 * not hold up signal handling, and a config that never finishes (an endless loop, a promise that
 * never settles) can be stopped from outside.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Problem } from '../errors.js';
import { transpileConfig, typeCheck } from './load.js';
import { PlainDataError, plainData } from './plain-data.js';

export interface WorkerInput {
  abs: string;
  display: string;
  cwd: string;
  text: string;
}

export type EvaluateReply =
  | { kind: 'evaluating' }
  | { kind: 'type-errors'; problems: Problem[] }
  | { kind: 'value'; value: unknown }
  | { kind: 'no-default' }
  | { kind: 'not-data'; message: string }
  | { kind: 'threw'; message: string; code?: string };

const input = workerData as WorkerInput;
const post = (reply: EvaluateReply) => parentPort!.postMessage(reply);
const morph = await import('ts-morph');
const problems = typeCheck(morph, input.abs, input.display, input.cwd);
if (problems.length > 0) post({ kind: 'type-errors', problems });
else {
  const url = transpileConfig(morph.ts, input.text, input.abs);
  post({ kind: 'evaluating' });
  try {
    const mod = (await import(url)) as { default?: unknown };
    post(mod.default === undefined ? { kind: 'no-default' } : { kind: 'value', value: plainData(mod.default) });
  } catch (error) {
    if (error instanceof PlainDataError) post({ kind: 'not-data', message: error.message });
    else {
      const code = (error as { code?: unknown } | null)?.code;
      post({ kind: 'threw', message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) });
    }
  }
}
