/**
 * The JSON-lines progress stream of the engine's build and push endpoints, as plain events.
 * Errors inside the stream (a failing RUN, a registry refusing a push) arrive as
 * `{"error": …, "errorDetail": {"message": …}}` with HTTP 200: they are collected, not thrown.
 */
import type { Readable } from 'node:stream';

export interface ProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/** Reads the stream to its end, calling onEvent for each JSON object; rejects only on stream errors. */
export function readProgress(stream: Readable, onEvent: (event: ProgressEvent) => void): Promise<void> {
  return readJsonLines<ProgressEvent>(stream, onEvent, (line) => onEvent({ stream: `${line}\n` }));
}

/**
 * The engine's JSON-lines streams (build and push progress, `/events`): each non-empty line that is
 * a JSON object goes to onJson, any other line (not JSON, or JSON but not an object) to onText. Resolves at the stream's end, rejects
 * only on stream errors.
 */
export function readJsonLines<T>(stream: Readable, onJson: (value: T) => void, onText: (line: string) => void = () => {}): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const flush = (final: boolean) => {
      const lines = buffer.split('\n');
      buffer = final ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        const t = line.trim();
        if (!t) continue;
        let value: unknown;
        try {
          value = JSON.parse(t);
        } catch {
          value = undefined;
        }
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) onJson(value as T);
        else onText(t);
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      flush(false);
    });
    stream.on('end', () => {
      flush(true);
      resolve();
    });
    stream.on('error', reject);
  });
}

/** Message of an error event. */
export function eventError(event: ProgressEvent): string | undefined {
  return event.errorDetail?.message ?? event.error;
}
