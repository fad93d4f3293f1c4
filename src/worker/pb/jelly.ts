/**
 * Jelly, PB's object encoding on top of Banana (twisted/spread/jelly.py, flavors.py and pb.py in
 * Twisted). A value is either a plain Banana item (int, float, bytes) or a list whose first element
 * names its type:
 *
 * | Python | jelly | here |
 * |---|---|---|
 * | None / bool | `['None']`, `['boolean', 'true'/'false']` | null, boolean |
 * | str | `['unicode', utf-8 bytes]` | string |
 * | bytes | the byte string itself | Buffer |
 * | list / tuple / set | `['list', …]`, `['tuple', …]`, `['set', …]` | array (a `Tuple` to send a tuple) |
 * | dict | `['dictionary', [key, value], …]` | plain object (keys as strings) |
 * | shared or circular value | `['reference', id, value]`, later `['dereference', id]` | the same object |
 * | a Referenceable of the sender | `['remote', luid]` | whatever `remote(luid)` makes (a RemoteReference) |
 * | a RemoteReference sent back | `['local', luid]` | the receiver's own object, `local(luid)` |
 * | a Copyable instance | `[class name, state]` | `CopiedInstance` (never a class looked up or run) |
 *
 * Anything else (modules, functions, classes, persistent ids) is refused: a master never sends them
 * to a worker, and nothing received is ever turned into code.
 */
import type { Banana, Decoded } from './banana.js';
import { PyFloat } from './banana.js';

export class JellyError extends Error {}

/** Deepest nesting of jellied values accepted or sent. */
export const MAX_JELLY_DEPTH = 200;

/** A Python tuple to send (received tuples are plain arrays). */
export class Tuple {
  readonly items: readonly unknown[];
  constructor(...items: unknown[]) {
    this.items = items;
  }
}

/** An instance of a class the peer copied to us (`[class name, state]`), kept as data. */
export class CopiedInstance {
  constructor(
    readonly className: string,
    readonly state: unknown,
  ) {}
}

/** What a failure travels as (twisted.spread.pb.CopyableFailure's copied state). */
export class CopyableFailure {
  constructor(
    /** The exception's qualified class name, e.g. `twisted.spread.flavors.NoSuchMethod`. */
    readonly type: string,
    readonly value: string,
  ) {}
}

const FAILURE_CLASS = 'twisted.spread.pb.CopyableFailure';

/** A readable line for an error the peer sent (a CopiedFailure, or any value). */
export function describeFailure(value: unknown): string {
  if (value instanceof CopiedInstance && value.state && typeof value.state === 'object') {
    const s = value.state as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : '');
    const type = text(s.type);
    const msg = text(s.value);
    if (type || msg) return type ? `${type}: ${msg}` : msg;
    return value.className;
  }
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

export interface JellyPeer {
  /** The luid a local object is sent as (`['remote', luid]`), or undefined if it is not referenceable. */
  referenceFor?(value: object): number | undefined;
  /** The luid of a reference to the peer's object being sent back (`['local', luid]`). */
  localIdOf?(value: object): number | Buffer | undefined;
}

const b = (s: string) => Buffer.from(s, 'utf8');

/** Encodes a value for the peer. */
export function jelly(value: unknown, peer: JellyPeer = {}, depth = 0): Banana {
  if (depth > MAX_JELLY_DEPTH) throw new JellyError(`value nested deeper than ${MAX_JELLY_DEPTH}`);
  const inner = (v: unknown) => jelly(v, peer, depth + 1);
  if (value === null || value === undefined) return [b('None')];
  if (typeof value === 'boolean') return [b('boolean'), b(value ? 'true' : 'false')];
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return new PyFloat(value);
    return value;
  }
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') return [b('unicode'), b(value)];
  if (value instanceof PyFloat || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return [b('list'), ...value.map(inner)];
  if (value instanceof Tuple) return [b('tuple'), ...value.items.map(inner)];
  if (value instanceof CopyableFailure) {
    // the state Twisted's CopyableFailure.getStateToCopy sends, minus frames
    return [
      b(FAILURE_CLASS),
      inner({ type: Buffer.from(value.type, 'utf8'), value: value.value, traceback: 'Traceback unavailable\n', tb: null, frames: [], stack: [], parents: [value.type], count: 0, captureVars: false }),
    ];
  }
  if (typeof value === 'object') {
    const luid = peer.referenceFor?.(value);
    if (luid !== undefined) return [b('remote'), luid];
    const local = peer.localIdOf?.(value);
    if (local !== undefined) return [b('local'), local];
    if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
      return [b('dictionary'), ...Object.entries(value).map(([k, v]) => [inner(k), inner(v)] as Banana[])];
    }
  }
  throw new JellyError(`cannot send a ${typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value}`);
}

export interface UnjellyPeer {
  /** `['remote', luid]`: a reference to an object of the peer's. */
  remote?(luid: number | Buffer): unknown;
  /** `['local', luid]`: one of our own objects, sent back. */
  local?(luid: number | Buffer): unknown;
}

function atomOf(expr: Decoded[]): string {
  const head = expr[0];
  if (!Buffer.isBuffer(head)) throw new JellyError('a jellied list must start with its type name');
  if (head.length > 200) throw new JellyError('type name too long');
  return head.toString('latin1');
}

function keyOf(k: unknown): string {
  if (typeof k === 'string') return k;
  if (Buffer.isBuffer(k)) return k.toString('utf8');
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean' || k === null) return String(k);
  if (Array.isArray(k)) return JSON.stringify(k.map(keyOf));
  throw new JellyError('unsupported dictionary key');
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty: a key named __proto__ is data, never the object's prototype
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Decodes a value the peer sent. Throws JellyError on anything malformed or refused. */
export function unjelly(expr: Decoded, peer: UnjellyPeer = {}): unknown {
  const refs = new Map<unknown, unknown>();

  const containerFor = (e: Decoded): unknown[] | Record<string, unknown> | undefined => {
    if (!Array.isArray(e) || e.length === 0 || !Buffer.isBuffer(e[0])) return undefined;
    const atom = e[0].toString('latin1');
    if (atom === 'list' || atom === 'tuple' || atom === 'set' || atom === 'frozenset') return [];
    if (atom === 'dictionary') return {};
    return undefined;
  };

  const fill = (e: Decoded[], into: unknown[] | Record<string, unknown>, depth: number): void => {
    if (Array.isArray(into)) {
      for (const x of e.slice(1)) into.push(walk(x, depth + 1));
      return;
    }
    for (const pair of e.slice(1)) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new JellyError('a dictionary entry must be [key, value]');
      setKey(into, keyOf(walk(pair[0]!, depth + 1)), walk(pair[1]!, depth + 1));
    }
  };

  const walk = (e: Decoded, depth: number): unknown => {
    if (depth > MAX_JELLY_DEPTH) throw new JellyError(`value nested deeper than ${MAX_JELLY_DEPTH}`);
    if (!Array.isArray(e)) return e;
    const atom = atomOf(e);
    const arg = (i: number) => {
      if (e.length <= i) throw new JellyError(`'${atom}' needs ${i} argument${i === 1 ? '' : 's'}`);
      return e[i]!;
    };
    switch (atom) {
      case 'None':
        return null;
      case 'unicode': {
        const v = arg(1);
        if (!Buffer.isBuffer(v)) throw new JellyError("'unicode' holds no bytes");
        return v.toString('utf8');
      }
      case 'boolean': {
        const v = arg(1);
        if (!Buffer.isBuffer(v)) throw new JellyError("'boolean' holds no word");
        return v.toString('latin1') === 'true';
      }
      case 'list':
      case 'tuple':
      case 'set':
      case 'frozenset':
      case 'dictionary': {
        const into = containerFor(e)!;
        fill(e, into, depth);
        return into;
      }
      case 'reference': {
        const id = arg(1);
        const body = arg(2);
        if (refs.has(id)) throw new JellyError(`reference ${String(id)} defined twice`);
        const into = containerFor(body);
        if (into && Array.isArray(body)) {
          refs.set(id, into);
          fill(body, into, depth + 1);
          return into;
        }
        const v = walk(body, depth + 1);
        refs.set(id, v);
        return v;
      }
      case 'dereference': {
        const id = arg(1);
        if (!refs.has(id)) throw new JellyError(`dereference of unknown reference ${String(id)}`);
        return refs.get(id);
      }
      case 'remote':
      case 'local': {
        const luid = arg(1);
        if (typeof luid !== 'number' && !Buffer.isBuffer(luid)) throw new JellyError(`'${atom}' needs an object id`);
        const make = atom === 'remote' ? peer.remote : peer.local;
        if (!make) throw new JellyError(`'${atom}' references are not accepted here`);
        return make(luid);
      }
      case 'unpersistable':
        return new CopiedInstance('unpersistable', walk(arg(1), depth + 1));
      default:
        // a Copyable's class and state: kept as data; only dotted class names, like Twisted's check
        if (/^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+$/.test(atom) && e.length === 2) return new CopiedInstance(atom, walk(e[1]!, depth + 1));
        throw new JellyError(`refused jelly type '${atom.slice(0, 60)}'`);
    }
  };
  return walk(expr, 0);
}
