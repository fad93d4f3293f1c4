/**
 * GET /v2/events as an async iterable of parsed events.
 *
 * - Sends exactly `Accept: text/event-stream` (Marathon answers 405 to anything else:
 *   Jetty's EventSourceServlet behind mesosphere/marathon core/event/impl/stream/HttpEventStreamServlet.scala).
 * - Follows 301/302/303/307/308 redirects itself (a standby sends /v2/events to the leader), up to 5.
 * - Heartbeats (Marathon's bare `\r\n` every 10 s) are not yielded; pass `onHeartbeat` to see them.
 * - `onOpen` is called once the server has answered 200, i.e. once events are being delivered:
 *   a deploy subscribes, waits for it, and only then sends its PUT.
 * - Ends (returns) when the server closes the stream, throws when the connection fails or no byte
 *   arrived for `idleTimeoutMs` (default 35 s, three missed heartbeats); either way the caller decides
 *   to reconnect or fall back. Aborting `signal` ends the iteration quietly.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { OperationFailedError, UnreachableError } from '../errors.js';
import { authorizationHeader, type MarathonAuth } from './auth.js';
import { MarathonHttpError, parseErrorBody, toBbmError } from './http-error.js';
import { SseDecoder } from './sse.js';
import { makeDispatcher, networkErrorText, normalizeBaseUrl } from './transport.js';
import type { MarathonEvent } from './types.js';

export interface StreamEventsOptions {
  /** Marathon's base URL (`http://host:8080`). */
  url: string;
  auth?: MarathonAuth;
  /** Server-side filter: repeated `event_type=` parameters. */
  eventTypes?: string[];
  signal: AbortSignal;
  caFile?: string;
  /** Called with the URL that finally answered 200 (after redirects). */
  onOpen?: (info: { url: string; redirected: boolean }) => void;
  onHeartbeat?: () => void;
  /** A `data:` line that is not a JSON object: skipped, reported here. */
  onMalformed?: (data: string) => void;
  idleTimeoutMs?: number;
  maxRedirects?: number;
  /** Reuse a dispatcher (tests, or a client's); otherwise one is made and closed here. */
  dispatcher?: Dispatcher;
}

export class EventStreamError extends UnreachableError {}

export async function* streamEvents(opts: StreamEventsOptions): AsyncGenerator<MarathonEvent, void, undefined> {
  const base = normalizeBaseUrl(opts.url);
  const params = new URLSearchParams();
  for (const t of opts.eventTypes ?? []) params.append('event_type', t);
  let url = `${base}/v2/events${params.size ? `?${params}` : ''}`;
  const idle = opts.idleTimeoutMs ?? 35_000;
  const own = opts.dispatcher ? undefined : makeDispatcher({ caFile: opts.caFile, headersTimeoutMs: 30_000, bodyTimeoutMs: idle });
  const dispatcher = opts.dispatcher ?? own!;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  const authorization = authorizationHeader(opts.auth);
  const maxRedirects = opts.maxRedirects ?? 5;
  let body: Dispatcher.ResponseData['body'] | undefined;
  try {
    let redirected = false;
    for (let hop = 0; ; hop++) {
      const sameOrigin = new URL(url).origin === new URL(base).origin;
      const h = { ...headers };
      // Credentials go to the leader only when it is the same host as configured, or it was
      // reached by redirect from it over the same scheme (Marathon's HA redirect); never downgrade to http.
      if (authorization && (sameOrigin || new URL(url).protocol === new URL(base).protocol)) h.authorization = authorization;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method: 'GET', headers: h, dispatcher, signal: opts.signal });
      } catch (error) {
        if (opts.signal.aborted) return;
        throw new EventStreamError(`cannot open Marathon's event stream ${url}: ${networkErrorText(error)}`, { cause: error });
      }
      if ([301, 302, 303, 307, 308].includes(res.statusCode)) {
        await res.body.dump();
        const location = res.headers.location;
        const target = Array.isArray(location) ? location[0] : location;
        if (!target) throw new EventStreamError(`${url} answered ${res.statusCode} without a Location header`);
        if (hop >= maxRedirects) throw new EventStreamError(`${url}: more than ${maxRedirects} redirects for the event stream`);
        url = new URL(target, url).toString();
        redirected = true;
        continue;
      }
      if (res.statusCode !== 200) {
        const text = await res.body.text();
        const e = new MarathonHttpError(res.statusCode, parseErrorBody(text, res.statusCode), 'GET', new URL(url).pathname, url);
        if ([502, 503, 504].includes(res.statusCode)) throw new EventStreamError(`Marathon's event stream ${url} answered ${res.statusCode}: ${e.body.message}`, { cause: e });
        throw toBbmError(e, { baseUrl: base, auth: opts.auth });
      }
      const type = String(res.headers['content-type'] ?? '');
      if (!type.startsWith('text/event-stream')) {
        await res.body.dump();
        throw new OperationFailedError(`${url} answered 200 with ${type || 'no content type'} instead of text/event-stream`);
      }
      body = res.body;
      opts.onOpen?.({ url, redirected });
      break;
    }
    const decoder = new SseDecoder();
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        for (const item of decoder.push(chunk)) {
          if (item.kind === 'heartbeat') opts.onHeartbeat?.();
          else if (item.kind === 'message') {
            const event = parseEvent(item.event, item.data);
            if (event) yield event;
            else opts.onMalformed?.(item.data);
          }
        }
      }
    } catch (error) {
      if (opts.signal.aborted) return;
      throw new EventStreamError(`Marathon's event stream ${url} broke: ${networkErrorText(error)}`, { cause: error });
    }
    decoder.end();
  } finally {
    if (body && !body.destroyed) body.destroy();
    if (own) await own.destroy().catch(() => {});
  }
}

/** The JSON of one `data:` payload; the SSE `event:` name fills in a missing `eventType`. */
export function parseEvent(name: string, data: string): MarathonEvent | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const event = parsed as MarathonEvent;
    if (typeof event.eventType !== 'string') event.eventType = name;
    return event;
  } catch {
    return undefined;
  }
}
