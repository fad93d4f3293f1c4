/**
 * What a command does with the run's stop (the first SIGINT/SIGTERM, RunContext.signal; see
 * src/cli.ts). `untilStopped` races the command's work against it, so a read that hangs (a Marathon
 * that never answers, git blocked on a file system, a module loading from a slow disk) ends at once,
 * and the run ends with the InterruptedError that says what the command leaves behind. Commands
 * compute first and print after it returned, so a stopped run prints nothing half.
 */
import { InterruptedError } from './errors.js';

/** The stop as this command tells it: `stopped by SIGINT: <leftBehind>`. */
export function stopReason(signal: AbortSignal, leftBehind: string): unknown {
  const reason: unknown = signal.reason;
  return reason instanceof InterruptedError ? reason.leaving(leftBehind) : reason;
}

/**
 * The result of `work`, unless the run is stopped first (or while it settles): then the stop,
 * saying `leftBehind()` (read at that moment, so it can name how far the work got).
 */
export async function untilStopped<T>(signal: AbortSignal | undefined, leftBehind: () => string, work: () => Promise<T>): Promise<T> {
  if (!signal) return work();
  if (signal.aborted) throw stopReason(signal, leftBehind());
  let onAbort: () => void = () => {};
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(stopReason(signal, leftBehind()));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const running = work();
  running.catch(() => {}); // a stopped run ignores how the abandoned work ends
  try {
    const value = await Promise.race([running, stopped]);
    if (signal.aborted) throw stopReason(signal, leftBehind());
    return value;
  } catch (error) {
    // a stop that already says what is left (ours, or the work's own) is kept; anything else becomes ours
    if (signal.aborted) throw error instanceof InterruptedError && error !== signal.reason ? error : stopReason(signal, leftBehind());
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
