/**
 * One WebSocket connection to a Buildbot master speaking `msgpack_experimental_v7`
 * (buildbot/buildbot master/buildbot/worker/protocols/manager/msgpack.py, worker/buildbot_worker/msgpack.py):
 * every frame is a binary msgpack map with `op` and `seq_number`; each side numbers its own requests
 * from 0 and answers the other's with `{op: 'response', seq_number, result[, is_exception: true]}`.
 */
import { decode, encode } from '@msgpack/msgpack';
import type WebSocket from 'ws';

export type Message = Record<string, unknown> & { op: string; seq_number: number };
/** Answers one request from the master; a thrown error becomes an exception response. */
export type Handler = (msg: Message) => unknown;

export class RemoteError extends Error {
  readonly remote = true;
}

export class ConnectionLost extends Error {
  constructor() {
    super('connection to the master lost');
  }
}

/** Bytes waiting in the socket past which senders should hold off (large outputs, uploads). */
const HIGH_WATER = 4 << 20;

export class MasterSession {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly handle: Handler,
    private readonly log: (line: string) => void,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => this.onClose());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a request and waits for the master's response. */
  request(fields: Record<string, unknown> & { op: string }): Promise<unknown> {
    if (this.closed) return Promise.reject(new ConnectionLost());
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      this.send({ ...fields, seq_number: seq });
    });
  }

  /** Resolves once the socket's send buffer is below the high-water mark. */
  async drained(): Promise<void> {
    while (!this.closed && this.ws.bufferedAmount > HIGH_WATER) await new Promise((r) => setTimeout(r, 20));
  }

  private send(msg: Record<string, unknown>): void {
    if (this.closed) return;
    this.ws.send(encode(msg, { ignoreUndefined: true }), { binary: true });
  }

  private respond(msg: Message, result: unknown, isException: boolean): void {
    const out: Record<string, unknown> = { op: 'response', seq_number: msg.seq_number, result: result ?? null };
    if (isException) out.is_exception = true;
    this.send(out);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) return this.log('ignored a text frame from the master');
    let msg: Message;
    try {
      msg = decode(data) as Message;
    } catch (error) {
      return this.log(`ignored an undecodable frame from the master: ${(error as Error).message}`);
    }
    if (!msg || typeof msg !== 'object' || typeof msg.op !== 'string' || typeof msg.seq_number !== 'number') {
      return this.log('ignored a frame without op or seq_number from the master');
    }
    if (msg.op === 'response') {
      const w = this.waiting.get(msg.seq_number);
      this.waiting.delete(msg.seq_number);
      if (!w) return;
      if ('is_exception' in msg) w.reject(new RemoteError(String(msg.result)));
      else w.resolve(msg.result);
      return;
    }
    Promise.resolve()
      .then(() => this.handle(msg))
      .then(
        (result) => this.respond(msg, result, false),
        (error: unknown) => this.respond(msg, error instanceof Error ? error.message : String(error), true),
      );
  }

  private onClose(): void {
    this.closed = true;
    for (const w of this.waiting.values()) w.reject(new ConnectionLost());
    this.waiting.clear();
  }
}
