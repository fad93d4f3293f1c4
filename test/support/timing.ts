/**
 * A step command's timing line (src/timing.ts) as the tests check it: present as the last line of
 * stderr, naming exactly the waits expected, with parts that add up (never how fast: no timed assertions).
 */
import { expect } from 'vitest';
import { parseTiming, type StepTiming } from '../../src/timing.js';

export function expectTimingLine(stderr: string, command: string, waits: string[]): StepTiming {
  const last = stderr.trimEnd().split('\n').at(-1) ?? '';
  const t = parseTiming(last);
  expect(t, `the last stderr line is the timing line:\n${stderr}`).toBeDefined();
  expect(t!.command).toBe(command);
  expect(t!.waits.map((w) => w.what)).toEqual(waits);
  const waited = t!.waits.reduce((n, w) => n + w.ms, 0);
  // each part is printed rounded to 10 ms: the parts add up to the total within that
  expect(Math.abs(waited + t!.ownMs - t!.totalMs), last).toBeLessThanOrEqual(10 * (t!.waits.length + 1));
  expect(waited, last).toBeLessThanOrEqual(t!.totalMs);
  return t!;
}
