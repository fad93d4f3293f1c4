/** Bounded exponential backoff for operations against the engine and registries. */

export interface RetryOptions {
  /** Retries after the first attempt (0: try once). */
  retries: number;
  /** First delay; doubles each retry, capped at maxDelayMs, with up to 25 % jitter. */
  baseDelayMs: number;
  maxDelayMs?: number;
  isTransient: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal | undefined;
}

export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs = 30_000, random = Math.random): number {
  const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
  return Math.round(exp * (0.75 + 0.25 * random()));
}

function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      // Stopped (SIGINT/SIGTERM): no further attempt; the stop's reason, not the failure it caused.
      if (options.signal?.aborted) throw options.signal.reason;
      if (attempt >= options.retries || !options.isTransient(error)) throw error;
      const delay = backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs);
      options.onRetry?.(error, attempt + 1, delay);
      await abortableDelay(delay, options.signal);
    }
  }
}

/**
 * Messages of failures worth retrying: the connection broke or was refused, timed out, or the
 * server answered 5xx. The Docker engine reports registry failures as text, so this is text-based.
 */
export function isTransientMessage(message: string): boolean {
  return /ECONNRESET|ECONNREFUSED|connection refused|connection reset|broken pipe|i\/o timeout|TLS handshake timeout|timeout exceeded|timed out|unexpected EOF|no route to host|network is unreachable|temporary failure|server misbehaving|\b50[0-9]\b|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout|received unexpected HTTP status: 5/i.test(
    message,
  );
}

/** Registry refused who we are or what we may do: retrying cannot help. */
export function isAuthMessage(message: string): boolean {
  return /unauthorized|authentication required|no basic auth credentials|denied|\b401\b|\b403\b|incorrect username or password/i.test(message);
}
