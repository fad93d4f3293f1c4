/** Small HTTP helpers for the devcluster suites (plain fetch, no bbm client code). */

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function call(base: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + p, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function deploymentGone(base: string, id: string, timeoutMs = 120_000): Promise<void> {
  await until(`deployment ${id} to finish`, async () => {
    const r = await call(base, 'GET', '/v2/deployments');
    return !(r.json as { id: string }[]).some((d) => d.id === id);
  }, timeoutMs);
}

export { sharedText as shared, sharedJson } from '../support/shared.js';
export { appDefinitionErrors } from '../support/schema.js';

/** An SSE reader that collects parsed events until stopped. */
export function collectEvents(base: string, query = ''): { events: { event: string; data: any }[]; raw: () => string; stop: () => void; failure: () => unknown } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const controller = new AbortController();
  const events: { event: string; data: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  let raw = '';
  let failure: unknown;
  void (async () => {
    try {
      const res = await fetch(`${base}/v2/events${query}`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
      if (res.status !== 200) throw new Error(`GET /v2/events answered ${res.status}: ${await res.text()}`);
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const s = decoder.decode(chunk, { stream: true });
        raw += s;
        buf += s;
        let i: number;
        while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 4);
          const ev = /^event: (.*)$/m.exec(frame)?.[1]?.trim();
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
        }
      }
    } catch (e) {
      if (!controller.signal.aborted) failure = e;
    }
  })();
  return {
    events,
    raw: () => raw,
    stop: () => controller.abort(),
    failure: () => failure,
  };
}
