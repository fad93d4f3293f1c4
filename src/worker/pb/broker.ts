/**
 * The client side of a Perspective Broker connection (twisted/spread/pb.py Broker, flavors.py
 * Referenceable): Banana's dialect negotiation (the server offers `['pb', 'none']`, the client answers
 * `pb`), `['version', 6]` both ways, then expressions
 *
 * - `['message', requestID, objectID, name, answerRequired, args, kwargs]`: call `remote_<name>` of one
 *   of our objects (answered by `['answer', requestID, result]` or `['error', requestID, failure]`);
 * - `['decref', objectID]`: the peer dropped one reference to one of our objects;
 * - and the same three the other way for our calls on the peer's objects.
 *
 * Our objects are `LocalObject`s, known to the peer by a number (luid) from the first time one is sent,
 * counted per sending as Twisted does, and forgotten when the peer has dropped every reference. The
 * peer's objects are `RemoteReference`s; the peer counts each one it sent, so each is released (a
 * `decref`) once we are done with it: the peer refuses more than 1024 live references per connection.
 */
import { BananaDecoder, BananaError, encode, type Banana, type Decoded } from './banana.js';
import { CopyableFailure, describeFailure, jelly, JellyError, Tuple, unjelly } from './jelly.js';

/** PB's protocol version (pb.py Broker.version). */
export const PB_VERSION = 6;
/** Bytes waiting in the socket past which senders should hold off (large outputs, uploads). */
const HIGH_WATER = 4 << 20;

/** What the broker writes to and closes (a net.Socket). */
export interface Transport {
  write(data: Buffer): unknown;
  destroy(): unknown;
  readonly writableLength: number;
}

export class PbConnectionLost extends Error {
  constructor() {
    super('connection to the master lost');
  }
}

/** An error the peer answered a call with. */
export class PbRemoteError extends Error {
  constructor(
    message: string,
    readonly remoteType: string,
  ) {
    super(message);
  }
}

/** An error our method raises to be answered with a given Python exception type. */
export class PbError extends Error {
  constructor(
    message: string,
    readonly type = 'twisted.spread.pb.Error',
  ) {
    super(message);
  }
}

export type RemoteMethod = (args: unknown[], kw: Record<string, unknown>, call: { retain(ref: RemoteReference): void }) => unknown;

/** One of our objects the peer may call: `remote_<name>` in Python terms is `methods[name]` here. */
export class LocalObject {
  constructor(
    readonly label: string,
    readonly methods: Readonly<Record<string, RemoteMethod>>,
  ) {}
}

export class RemoteReference {
  private released = false;
  constructor(
    private readonly broker: Broker,
    readonly luid: number | Buffer,
    private readonly counted: boolean,
  ) {}

  callRemote(name: string, args: unknown[] = [], kw: Record<string, unknown> = {}): Promise<unknown> {
    return this.broker.send(this.luid, name, args, kw);
  }

  /** Drops our reference (a `decref` to the peer); once per reference received. */
  release(): void {
    if (this.released || !this.counted) return;
    this.released = true;
    this.broker.decref(this.luid);
  }
}

interface Local {
  object: LocalObject;
  refs: number;
}

export class Broker {
  private readonly decoder = new BananaDecoder();
  private dialect = false;
  private closed = false;
  private requestId = 0;
  private localId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly locals = new Map<number, Local>();
  private readonly luids = new Map<LocalObject, number>();
  private readyResolve!: () => void;
  private readyReject!: (e: Error) => void;
  /** Resolves once the dialect and version are agreed. */
  readonly ready: Promise<void>;

  constructor(
    private readonly transport: Transport,
    private readonly log: (line: string) => void,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ready.catch(() => undefined);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** The peer's root object (`getRootObject`). */
  root(): RemoteReference {
    return new RemoteReference(this, Buffer.from('root'), false);
  }

  /** Live objects of ours the peer holds references to (for tests and logs). */
  get localCount(): number {
    return this.locals.size;
  }

  async drained(): Promise<void> {
    while (!this.closed && this.transport.writableLength > HIGH_WATER) await new Promise((r) => setTimeout(r, 20));
  }

  /** Bytes from the peer. Malformed input ends the connection with a log line; it never throws. */
  dataReceived(chunk: Buffer): void {
    if (this.closed) return;
    let exprs: Decoded[];
    try {
      exprs = this.decoder.push(chunk);
    } catch (error) {
      return this.abort(`the master sent malformed PB data (${(error as Error).message})`);
    }
    for (const e of exprs) {
      if (this.closed) return;
      try {
        this.expressionReceived(e);
      } catch (error) {
        return this.abort(`the master sent a PB message this worker cannot read (${(error as Error).message})`);
      }
    }
  }

  /** The transport closed: every pending call fails. */
  connectionLost(): void {
    if (this.closed && this.waiting.size === 0) return;
    this.closed = true;
    this.readyReject(new PbConnectionLost());
    for (const w of this.waiting.values()) w.reject(new PbConnectionLost());
    this.waiting.clear();
    this.locals.clear();
    this.luids.clear();
  }

  private abort(why: string): void {
    this.log(`closing the connection: ${why}`);
    this.transport.destroy();
    this.connectionLost();
  }

  private sendExpr(expr: Banana, vocabulary = true): void {
    if (this.closed) return;
    this.transport.write(encode(expr, vocabulary));
  }

  private expressionReceived(e: Decoded): void {
    if (!this.dialect) {
      // the server's offer of dialects
      if (!Array.isArray(e) || !e.some((d) => Buffer.isBuffer(d) && d.toString() === 'pb')) throw new BananaError('the server offers no "pb" dialect');
      this.sendExpr(Buffer.from('pb'), false);
      this.dialect = true;
      this.decoder.vocabulary = true;
      this.sendExpr([Buffer.from('version'), PB_VERSION]);
      this.readyResolve();
      return;
    }
    if (!Array.isArray(e) || e.length === 0 || !Buffer.isBuffer(e[0])) throw new BananaError('a PB message must be a list starting with its name');
    const command = e[0].toString('latin1');
    const a = e.slice(1);
    switch (command) {
      case 'version':
        if (a[0] !== PB_VERSION) throw new BananaError(`the master speaks PB version ${String(a[0])}, this worker ${PB_VERSION}`);
        return;
      case 'message':
        return this.messageReceived(a);
      case 'answer':
      case 'error': {
        const id = a[0];
        const w = typeof id === 'number' ? this.waiting.get(id) : undefined;
        if (!w) throw new BananaError(`${command} to an unknown request ${String(id)}`);
        this.waiting.delete(id as number);
        let value: unknown;
        try {
          value = this.unserialize(a[1] as Decoded);
        } catch (error) {
          w.reject(error as Error);
          return;
        }
        if (command === 'answer') return w.resolve(value);
        const type = describeFailure(value).split(':')[0] ?? '';
        return w.reject(new PbRemoteError(describeFailure(value), type));
      }
      case 'decref': {
        const id = a[0];
        const local = typeof id === 'number' ? this.locals.get(id) : undefined;
        if (!local) return;
        if (--local.refs <= 0) {
          this.locals.delete(id as number);
          this.luids.delete(local.object);
        }
        return;
      }
      case 'didNotUnderstand':
        this.log(`the master did not understand ${describeFailure(a[0])}`);
        return;
      default:
        // cachemessage, decache, uncache: for Cacheables, which Buildbot does not send
        this.sendExpr([Buffer.from('didNotUnderstand'), Buffer.from(command.slice(0, 100))]);
    }
  }

  private unserialize(expr: Decoded, created?: RemoteReference[]): unknown {
    return unjelly(expr, {
      remote: (luid) => {
        const ref = new RemoteReference(this, luid, true);
        created?.push(ref);
        return ref;
      },
      local: (luid) => {
        const local = typeof luid === 'number' ? this.locals.get(luid) : undefined;
        if (!local) throw new JellyError(`no object ${String(luid)} of this worker`);
        return local.object;
      },
    });
  }

  private serialize(value: unknown): Banana {
    return jelly(value, {
      referenceFor: (v) => (v instanceof LocalObject ? this.register(v) : undefined),
      localIdOf: (v) => (v instanceof RemoteReference ? v.luid : undefined),
    });
  }

  private register(object: LocalObject): number {
    const known = this.luids.get(object);
    if (known !== undefined) {
      this.locals.get(known)!.refs++;
      return known;
    }
    const luid = ++this.localId;
    this.locals.set(luid, { object, refs: 1 });
    this.luids.set(object, luid);
    return luid;
  }

  private messageReceived(a: Decoded[]): void {
    const [requestId, objectId, name, answerRequired, netArgs, netKw] = a;
    if (typeof requestId !== 'number' || !Buffer.isBuffer(name) || a.length !== 6) throw new BananaError('malformed message');
    const method = name.toString('utf8');
    const answer = answerRequired !== 0;
    const created: RemoteReference[] = [];
    const retained = new Set<RemoteReference>();
    const respond = (ok: boolean, value: unknown) => {
      for (const ref of created) if (!retained.has(ref)) ref.release();
      if (!answer || this.closed) return;
      try {
        this.sendExpr([Buffer.from(ok ? 'answer' : 'error'), requestId, this.serialize(value)]);
      } catch (error) {
        this.log(`cannot send the answer to ${method}: ${(error as Error).message}`);
        this.sendExpr([Buffer.from('error'), requestId, this.serialize(new CopyableFailure('builtins.Exception', (error as Error).message))]);
      }
    };
    const failure = (error: unknown) =>
      error instanceof PbError ? new CopyableFailure(error.type, error.message) : new CopyableFailure('builtins.Exception', error instanceof Error ? error.message : String(error));
    Promise.resolve()
      .then(() => {
        const local = typeof objectId === 'number' ? this.locals.get(objectId) : undefined;
        if (!local) throw new PbError('Invalid Object ID');
        const args = this.unserialize(netArgs as Decoded, created);
        const kw = this.unserialize(netKw as Decoded, created);
        if (!Array.isArray(args) || !kw || typeof kw !== 'object' || Array.isArray(kw)) throw new PbError('malformed arguments');
        const fn = Object.hasOwn(local.object.methods, method) ? local.object.methods[method] : undefined;
        if (!fn) throw new PbError(`No such method: remote_${method}`, 'twisted.spread.flavors.NoSuchMethod');
        return fn(args, kw as Record<string, unknown>, { retain: (ref) => void retained.add(ref) });
      })
      .then(
        (result) => respond(true, result),
        (error: unknown) => respond(false, failure(error)),
      );
  }

  /** Calls `name` on the peer's object `luid`; resolves with its answer. */
  send(luid: number | Buffer, name: string, args: unknown[], kw: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new PbConnectionLost());
    let netArgs: Banana;
    let netKw: Banana;
    try {
      netArgs = this.serialize(new Tuple(...args));
      netKw = this.serialize(kw);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const id = ++this.requestId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      try {
        this.sendExpr([Buffer.from('message'), id, luid, Buffer.from(name), 1, netArgs, netKw]);
      } catch (error) {
        this.waiting.delete(id);
        reject(error as Error);
      }
    });
  }

  decref(luid: number | Buffer): void {
    if (!this.closed) this.sendExpr([Buffer.from('decref'), luid]);
  }
}
