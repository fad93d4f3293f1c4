/**
 * The event bus behind /v2/events, and Marathon's SSE wire format (Jetty 9.4's EventSource):
 * `event: <type>\r\ndata: <one-line JSON>\r\n\r\n`, a bare `\r\n` heartbeat, no ids.
 */
import type { MarathonEvent } from '../marathon/types.js';

export function isoNow(ms = Date.now()): string {
  return new Date(ms).toISOString();
}

export function sseFrame(event: MarathonEvent): string {
  // JSON.stringify never emits raw newlines, so the data line cannot be split or spoofed.
  return `event: ${event.eventType}\r\ndata: ${JSON.stringify(event)}\r\n\r\n`;
}

export const SSE_HEARTBEAT = '\r\n';

export type Listener = (event: MarathonEvent) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(eventType: string, fields: Record<string, unknown>): MarathonEvent {
    const event: MarathonEvent = { ...fields, eventType, timestamp: isoNow() };
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        /* a broken subscriber must not stop the others */
      }
    }
    return event;
  }
}
