/**
 * Buildbot's result codes (`buildbot/process/results.py`) as words and symbols: the console never
 * relies on colour alone, so every state reads as text.
 */
const RESULTS = [
  ['success', '✓'],
  ['warnings', '!'],
  ['failure', '✗'],
  ['skipped', '–'],
  ['exception', '✗'],
  ['retry', '↻'],
  ['cancelled', '✗'],
] as const;

export interface ResultView {
  /** A word: success, failure…, `running` or `pending`. */
  word: string;
  symbol: string;
  /** CSS class suffix (colour is a hint on top of the word). */
  tone: 'ok' | 'bad' | 'warn' | 'busy' | 'idle';
}

export function resultView(results: number | null | undefined, complete = results !== null && results !== undefined, started = true): ResultView {
  if (!complete || results === null || results === undefined) return started ? { word: 'running', symbol: '●', tone: 'busy' } : { word: 'pending', symbol: '○', tone: 'idle' };
  const entry = RESULTS[results];
  if (!entry) return { word: `result ${results}`, symbol: '?', tone: 'warn' };
  const tone = results === 0 ? 'ok' : results === 1 || results === 5 ? 'warn' : results === 3 ? 'idle' : 'bad';
  return { word: entry[0], symbol: entry[1], tone };
}

/** `1m 05s`, `12s`, `1h 02m` between two Unix times (seconds); `now` for a running build. */
export function duration(start: number | null | undefined, end: number | null | undefined, now: number): string {
  if (!start) return '';
  const s = Math.max(0, Math.round((end ?? now) - start));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
