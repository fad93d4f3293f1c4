/**
 * A pure Server-Sent Events parser (the WHATWG "event stream" grammar, as Marathon's Jetty
 * EventSourceServlet writes it: `event: x\r\ndata: {...}\r\n\r\n`, heartbeats are a bare `\r\n`).
 * Push text in chunks cut anywhere (even between `\r` and `\n`); get whole messages out.
 * Bytes → text is `SseDecoder`'s job, so a UTF-8 character split across chunks survives.
 */

export type SseItem =
  | { kind: 'message'; event: string; data: string; id?: string }
  /** A blank line with nothing pending: Marathon's keep-alive, sent every 10 s. */
  | { kind: 'heartbeat' }
  /** A `:` line; some servers (not Marathon) use them as keep-alives. */
  | { kind: 'comment'; text: string }
  /** A `retry:` field with a valid number. */
  | { kind: 'retry'; ms: number };

export class SseParser {
  private buffer = '';
  /** The previous chunk ended with `\r`: a `\n` at the start of the next one belongs to it. */
  private pendingCr = false;
  private started = false;
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private hasFields = false;

  /** Feeds text; returns the items completed by it, in order. */
  push(chunk: string): SseItem[] {
    const out: SseItem[] = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length === 0) return [];
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 13 && c !== 10) continue;
      this.line(this.buffer.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else this.pendingCr = true;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** The stream ended: an unterminated message is dropped, as the spec says. */
  end(): SseItem[] {
    this.buffer = '';
    this.reset();
    return [];
  }

  private reset() {
    this.event = '';
    this.data = [];
    this.id = undefined;
    this.hasFields = false;
  }

  private line(line: string, out: SseItem[]) {
    if (line === '') {
      if (this.data.length > 0) {
        const item: SseItem = { kind: 'message', event: this.event || 'message', data: this.data.join('\n') };
        if (this.id !== undefined) item.id = this.id;
        out.push(item);
      } else if (!this.hasFields) out.push({ kind: 'heartbeat' });
      this.reset();
      return;
    }
    if (line.startsWith(':')) {
      out.push({ kind: 'comment', text: line.slice(1).replace(/^ /, '') });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    this.hasFields = true;
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\u0000')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) out.push({ kind: 'retry', ms: Number(value) });
        break;
      default:
      // unknown fields are ignored
    }
  }
}

/** Bytes in, SSE items out: UTF-8 decoding that keeps split multi-byte characters whole. */
export class SseDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser = new SseParser();

  push(bytes: Uint8Array): SseItem[] {
    return this.parser.push(this.decoder.decode(bytes, { stream: true }));
  }

  end(): SseItem[] {
    const rest = this.decoder.decode();
    return [...this.parser.push(rest), ...this.parser.end()];
  }
}
