/** streamEvents against a local server that writes Marathon's wire format (the recorded examples of the reference data). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { streamEvents } from '../../../src/marathon/events.js';
import { UsageError, UnreachableError } from '../../../src/errors.js';
import type { MarathonEvent } from '../../../src/marathon/types.js';
import { startTestServer, type TestServer } from '../../support/http-server.js';
import { RECORDED_WIRE_EVENT_TYPES, sharedText } from '../../support/shared.js';
import { components, describeWith } from '../../support/integration.js';

const wire = () => sharedText('marathon', 'examples', 'events-stream.wire.constructed.txt');

/** Suites that check against Marathon's reference data (schema, recorded bodies): skipped with a message without it, failing in CI. */
const withReference = await describeWith([components.reference]);

let leader: TestServer;
let standby: TestServer;
beforeAll(async () => {
  leader = await startTestServer();
  standby = await startTestServer();
});
afterAll(async () => {
  await leader.close();
  await standby.close();
});
beforeEach(() => {
  leader.requests.length = 0;
  standby.requests.length = 0;
});

/** Jetty's EventSourceServlet: exact Accept match or 405 (marathon core/event/impl/stream/HttpEventStreamServlet.scala, Jetty's EventSourceServlet). */
function eventSource(write: (res: import('node:http').ServerResponse) => void) {
  return (req: { headers: Record<string, unknown> }, res: import('node:http').ServerResponse) => {
    if (req.headers.accept !== 'text/event-stream') {
      res.writeHead(405, { 'content-type': 'text/html' });
      return res.end('<html><body>HTTP method GET is not supported by this URL</body></html>');
    }
    res.writeHead(200, { 'content-type': 'text/event-stream;charset=utf-8', connection: 'close' });
    write(res);
  };
}

async function collect(it: AsyncIterable<MarathonEvent>, max = Infinity): Promise<MarathonEvent[]> {
  const out: MarathonEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (out.length >= max) break;
  }
  return out;
}

withReference('streamEvents on the recorded wire example', () => {
  it('sends exactly Accept: text/event-stream, parses every event and reports heartbeats', async () => {
    leader.handle(
      eventSource((res) => {
        // cut the recorded stream into odd pieces, with heartbeats between
        const bytes = Buffer.from(wire());
        for (let i = 0; i < bytes.length; i += 37) res.write(bytes.subarray(i, i + 37));
        res.write('\r\n\r\n');
        res.end();
      }),
    );
    let heartbeats = 0;
    let opened = '';
    const events = await collect(
      streamEvents({
        url: leader.url,
        signal: new AbortController().signal,
        eventTypes: ['deployment_success', 'deployment_failed'],
        onHeartbeat: () => heartbeats++,
        onOpen: (o) => (opened = o.url),
      }),
    );
    expect(leader.requests[0]?.headers.accept).toBe('text/event-stream');
    expect(leader.requests[0]?.url).toBe('/v2/events?event_type=deployment_success&event_type=deployment_failed');
    expect(opened).toBe(`${leader.url}/v2/events?event_type=deployment_success&event_type=deployment_failed`);
    expect(events.map((e) => e.eventType)).toEqual([...RECORDED_WIRE_EVENT_TYPES]);
    expect(events.at(-1)?.id).toBe('0f9f4b7e-6a3c-4a69-9d8b-6b2f6d6f3e21');
    expect(heartbeats).toBe(3);
  });
});

describe('streamEvents', () => {
  it('follows a 302 from a standby to the leader, keeping the filter and the credentials', async () => {
    standby.handle((_req, res) => {
      res.writeHead(302, { location: `${leader.url}/v2/events?event_type=deployment_success` });
      res.end();
    });
    leader.handle(eventSource((res) => res.end('event: deployment_success\r\ndata: {"id":"d1","eventType":"deployment_success","timestamp":"t"}\r\n\r\n')));
    let redirected = false;
    const events = await collect(
      streamEvents({
        url: standby.url,
        auth: { kind: 'token', token: 'tkn' },
        eventTypes: ['deployment_success'],
        signal: new AbortController().signal,
        onOpen: (o) => (redirected = o.redirected),
      }),
    );
    expect(events.map((e) => e.id)).toEqual(['d1']);
    expect(redirected).toBe(true);
    expect(standby.requests).toHaveLength(1);
    expect(leader.requests[0]?.headers.authorization).toBe('token=tkn');
    expect(leader.requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it('ends when the server closes the stream cleanly mid-event, dropping the half-sent event', async () => {
    leader.handle(
      eventSource((res) => {
        res.write('event: a\r\ndata: {"eventType":"a","timestamp":"t"}\r\n\r\n');
        res.write('event: b\r\ndata: {"eventType":"b"');
        setTimeout(() => res.end(), 20);
      }),
    );
    const seen: string[] = [];
    for await (const e of streamEvents({ url: leader.url, signal: new AbortController().signal })) seen.push(e.eventType);
    expect(seen).toEqual(['a']);
  });

  it('a connection reset mid-stream is a retryable error (UnreachableError) after the whole events', async () => {
    leader.handle(
      eventSource((res) => {
        res.write('event: a\r\ndata: {"eventType":"a","timestamp":"t"}\r\n\r\n');
        res.write('event: b\r\ndata: {"eventType":"b"');
        setTimeout(() => res.destroy(), 20);
      }),
    );
    const seen: string[] = [];
    const read = (async () => {
      for await (const e of streamEvents({ url: leader.url, signal: new AbortController().signal })) seen.push(e.eventType);
    })();
    await expect(read).rejects.toThrow(UnreachableError);
    await expect(read).rejects.toThrow(/event stream .* broke/);
    expect(seen).toEqual(['a']);
  });

  it('skips a data line that is not a JSON object and says so', async () => {
    leader.handle(eventSource((res) => res.end('data: not json\r\n\r\nevent: x\r\ndata: {"timestamp":"t"}\r\n\r\n')));
    const bad: string[] = [];
    const events = await collect(streamEvents({ url: leader.url, signal: new AbortController().signal, onMalformed: (d) => bad.push(d) }));
    expect(bad).toEqual(['not json']);
    expect(events).toEqual([{ eventType: 'x', timestamp: 't' }]);
  });

  it('stops quietly when aborted while waiting', async () => {
    leader.handle(eventSource((res) => res.write('\r\n')));
    const ac = new AbortController();
    const done = collect(streamEvents({ url: leader.url, signal: ac.signal, onHeartbeat: () => ac.abort() }));
    expect(await done).toEqual([]);
  });

  it('401 is a usage error naming the credentials; 503 is retryable (UnreachableError)', async () => {
    leader.handle((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/html' });
      res.end('<h2>HTTP ERROR 401</h2>');
    });
    await expect(collect(streamEvents({ url: leader.url, signal: new AbortController().signal, auth: { kind: 'basic', user: 'ci', password: 'pw' } }))).rejects.toThrow(UsageError);
    leader.handle((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    await expect(collect(streamEvents({ url: leader.url, signal: new AbortController().signal }))).rejects.toThrow(UnreachableError);
  });

  it('a redirect loop is an error, not a hang', async () => {
    leader.handle((_req, res) => {
      res.writeHead(307, { location: '/v2/events' });
      res.end();
    });
    await expect(collect(streamEvents({ url: leader.url, signal: new AbortController().signal }))).rejects.toThrow(/redirects/);
  });
});
