import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SseDecoder, SseParser, type SseItem } from '../../../src/marathon/sse.js';
import { RECORDED_WIRE_EVENT_TYPES, sharedPath } from '../../support/shared.js';
import { components, describeWith } from '../../support/integration.js';

const shared = (f: string) => readFileSync(sharedPath('marathon', 'examples', f));

/** Suites that check against Marathon's reference data (schema, recorded bodies): skipped with a message without it, failing in CI. */
const withReference = await describeWith([components.reference]);

/** Every way of cutting `text` into `parts` pieces at the given positions gives the same items. */
function parseCut(text: string, cuts: number[]): SseItem[] {
  const p = new SseParser();
  const out: SseItem[] = [];
  let prev = 0;
  for (const c of [...cuts, text.length]) {
    out.push(...p.push(text.slice(prev, c)));
    prev = c;
  }
  return out;
}

const msg = (event: string, data: string): SseItem => ({ kind: 'message', event, data });

describe('SseParser', () => {
  it.each<[string, string, SseItem[]]>([
    ['Marathon wire form', 'event: a\r\ndata: {"x":1}\r\n\r\n', [msg('a', '{"x":1}')]],
    ['LF line ends', 'event: a\ndata: 1\n\n', [msg('a', '1')]],
    ['CR line ends', 'event: a\rdata: 1\r\r', [msg('a', '1')]],
    ['heartbeat after an event', 'event: a\r\ndata: 1\r\n\r\n\r\n', [msg('a', '1'), { kind: 'heartbeat' }]],
    ['heartbeat alone', '\r\n', [{ kind: 'heartbeat' }]],
    ['two heartbeats', '\r\n\r\n', [{ kind: 'heartbeat' }, { kind: 'heartbeat' }]],
    ['multi-line data joined with \\n', 'data: a\ndata: b\ndata:\n\n', [msg('message', 'a\nb\n')]],
    ['no space after colon', 'event:x\ndata:y\n\n', [msg('x', 'y')]],
    ['only the first space is stripped', 'data:  two\n\n', [msg('message', ' two')]],
    ['colons inside data kept', 'data: {"t":"12:00:01"}\n\n', [msg('message', '{"t":"12:00:01"}')]],
    ['comment', ': keep-alive\n', [{ kind: 'comment', text: 'keep-alive' }]],
    ['id kept', 'id: 7\ndata: z\n\n', [{ kind: 'message', event: 'message', data: 'z', id: '7' }]],
    ['retry', 'retry: 3000\n', [{ kind: 'retry', ms: 3000 }]],
    ['bad retry ignored', 'retry: soon\n', []],
    ['event without data is not dispatched and is not a heartbeat', 'event: x\n\n', []],
    ['unknown fields ignored', 'foo: bar\ndata: 1\n\n', [msg('message', '1')]],
    ['field without colon', 'data\n\n', [msg('message', '')]],
    ['BOM at start skipped', '\uFEFFdata: 1\n\n', [msg('message', '1')]],
    ['unterminated message is not emitted', 'event: a\ndata: 1\n', []],
    ['event name resets between messages', 'event: a\ndata: 1\n\ndata: 2\n\n', [msg('a', '1'), msg('message', '2')]],
  ])('%s', (_name, text, expected) => {
    expect(parseCut(text, [])).toEqual(expected);
    // every single cut point, and every character on its own, give the same result
    for (let i = 0; i <= text.length; i++) expect(parseCut(text, [i])).toEqual(expected);
    expect(parseCut(text, [...text].map((_, i) => i))).toEqual(expected);
  });

  it('a \\r at the end of one chunk and \\n at the start of the next is one line end', () => {
    expect(parseCut('data: 1\r\n\r\n', [8])).toEqual([msg('message', '1')]);
    expect(parseCut('data: 1\r\n\r\n', [8, 10])).toEqual([msg('message', '1')]);
  });
});

describe('SseDecoder', () => {
  it('keeps a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('data: {"m":"héllo ✓"}\r\n\r\n', 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new SseDecoder();
      const items = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut)), ...d.end()];
      expect(items).toEqual([msg('message', '{"m":"héllo ✓"}')]);
    }
  });
});

withReference('SSE parsing of the recorded examples', () => {
  it('parses the recorded wire example into its events, in order', () => {
    const text = shared('events-stream.wire.constructed.txt').toString('utf8');
    const items = new SseParser().push(text);
    const messages = items.filter((i) => i.kind === 'message');
    expect(messages.map((m) => (m.kind === 'message' ? m.event : ''))).toEqual([...RECORDED_WIRE_EVENT_TYPES]);
    for (const m of messages) if (m.kind === 'message') expect(JSON.parse(m.data).eventType).toBe(m.event);
    expect(items.filter((i) => i.kind === 'heartbeat')).toHaveLength(1);
  });

  it('parses the RAML example byte by byte', () => {
    const bytes = shared('events-stream.raml-example.txt');
    const d = new SseDecoder();
    const items: SseItem[] = [];
    for (const b of bytes) items.push(...d.push(Uint8Array.of(b)));
    expect(items.filter((i) => i.kind === 'message').map((i) => (i.kind === 'message' ? JSON.parse(i.data).eventType : ''))).toEqual([
      'event_stream_attached',
      'status_update_event',
      'status_update_event',
    ]);
  });
});
