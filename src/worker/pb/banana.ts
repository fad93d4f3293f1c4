/**
 * Banana, the byte encoding under Perspective Broker (twisted/spread/banana.py in Twisted): every item
 * is a base-128 little-endian prefix (7 bits a byte, high bit clear) followed by one type byte with the
 * high bit set:
 *
 * | type | item |
 * |---|---|
 * | 0x80 LIST | prefix = element count, the elements follow |
 * | 0x81 INT / 0x83 NEG | prefix = value / −value (|value| < 2³¹) |
 * | 0x85 LONGINT / 0x86 LONGNEG | prefix = value / −value (larger integers) |
 * | 0x82 STRING | prefix = byte length, the bytes follow |
 * | 0x84 FLOAT | no prefix; 8 bytes of a big-endian IEEE double follow |
 * | 0x87 VOCAB | prefix = index of a word of the `pb` dialect's vocabulary (`message`, `answer`, …) |
 *
 * Bounds are Twisted's: a prefix longer than 64 bytes, or a string or list longer than 640 KiB
 * (SIZE_LIMIT), is refused; those are the limits a master's broker holds its peers to as well.
 */

export class BananaError extends Error {}

/** Largest string (bytes) or list (elements) either side accepts (banana.py SIZE_LIMIT). */
export const SIZE_LIMIT = 640 * 1024;
/** Longest prefix in bytes (banana.py setPrefixLimit(64)). */
export const PREFIX_LIMIT = 64;
/** Deepest nesting of lists accepted (Twisted has no such bound but recursion stops it near 1000). */
export const MAX_DEPTH = 500;

const LIST = 0x80;
const INT = 0x81;
const STRING = 0x82;
const NEG = 0x83;
const FLOAT = 0x84;
const LONGINT = 0x85;
const LONGNEG = 0x86;
const VOCAB = 0x87;

/** The `pb` dialect's vocabulary (banana.py outgoingVocabulary): words sent as their number. */
export const VOCABULARY: readonly string[] = [
  '',
  'None',
  'class',
  'dereference',
  'reference',
  'dictionary',
  'function',
  'instance',
  'list',
  'module',
  'persistent',
  'tuple',
  'unpersistable',
  'copy',
  'cache',
  'cached',
  'remote',
  'local',
  'lcache',
  'version',
  'login',
  'password',
  'challenge',
  'logged_in',
  'not_logged_in',
  'cachemessage',
  'message',
  'answer',
  'error',
  'decref',
  'decache',
  'uncache',
];
const VOCAB_INDEX = new Map(VOCABULARY.map((w, i) => [w, i] as const).filter(([w]) => w !== ''));

/** A float that must travel as FLOAT even when its value is whole (a JS number that is whole goes as INT). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** What Banana carries: integers, floats, byte strings and lists of them. */
export type Banana = number | bigint | PyFloat | Uint8Array | Banana[];

/** Decoded: byte strings are Buffers, floats are numbers, integers beyond 2⁵³ are bigints. */
export type Decoded = number | bigint | Buffer | Decoded[];

const LARGEST_INT = 2 ** 31 - 1;
const LONG_LIMIT = 1n << BigInt(PREFIX_LIMIT * 7);

function prefix(n: bigint | number, type: number, out: number[]): void {
  let v = BigInt(n);
  if (v === 0n) out.push(0);
  while (v > 0n) {
    out.push(Number(v & 0x7fn));
    v >>= 7n;
  }
  out.push(type);
}

/**
 * Encodes one expression. `vocabulary` (the `pb` dialect) sends the vocabulary's words as VOCAB;
 * before the dialect is chosen (the dialect list and choice) it is off.
 */
export function encode(value: Banana, vocabulary = true): Buffer {
  const parts: Buffer[] = [];
  let head: number[] = [];
  const flush = () => {
    if (head.length) parts.push(Buffer.from(head));
    head = [];
  };
  const walk = (v: Banana): void => {
    if (Array.isArray(v)) {
      if (v.length > SIZE_LIMIT) throw new BananaError(`list is too long to send (${v.length} elements)`);
      prefix(v.length, LIST, head);
      for (const e of v) walk(e);
    } else if (v instanceof PyFloat) {
      const b = Buffer.alloc(9);
      b[0] = FLOAT;
      b.writeDoubleBE(v.value, 1);
      head.push(...b);
    } else if (typeof v === 'number' && !Number.isInteger(v)) {
      walk(new PyFloat(v));
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      const n = BigInt(v);
      if (n >= LONG_LIMIT || n <= -LONG_LIMIT) throw new BananaError(`integer is too large to send (${n})`);
      if (n < -(2n ** 31n)) prefix(-n, LONGNEG, head);
      else if (n < 0n) prefix(-n, NEG, head);
      else if (n <= BigInt(LARGEST_INT)) prefix(n, INT, head);
      else prefix(n, LONGINT, head);
    } else if (v instanceof Uint8Array) {
      const word = vocabulary && v.length <= 16 ? VOCAB_INDEX.get(Buffer.from(v).toString('latin1')) : undefined;
      if (word !== undefined) return prefix(word, VOCAB, head);
      if (v.length > SIZE_LIMIT) throw new BananaError(`byte string is too long to send (${v.length} bytes)`);
      prefix(v.length, STRING, head);
      flush();
      parts.push(Buffer.from(v.buffer, v.byteOffset, v.length));
    } else {
      throw new BananaError(`Banana cannot send ${typeof v}`);
    }
  };
  walk(value);
  flush();
  return Buffer.concat(parts);
}

function readPrefix(bytes: Buffer): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 7n) | BigInt(bytes[i]!);
  return n;
}

function toNumber(n: bigint): number | bigint {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/**
 * A streaming decoder: `push` bytes as they arrive, get back every complete top-level expression.
 * Throws BananaError on input Twisted would refuse (the connection is then unusable).
 */
export class BananaDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly stack: { size: number; items: Decoded[] }[] = [];

  /** `vocabulary`: whether VOCAB items are allowed (the `pb` dialect); set once the dialect is chosen. */
  vocabulary = false;

  push(chunk: Buffer): Decoded[] {
    const out: Decoded[] = [];
    let buf = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let pos = 0;
    const got = (item: Decoded) => {
      let v = item;
      for (;;) {
        const top = this.stack.at(-1);
        if (!top) return out.push(v);
        top.items.push(v);
        if (top.items.length < top.size) return;
        this.stack.pop();
        v = top.items;
      }
    };
    for (;;) {
      let end = pos;
      while (end < buf.length && buf[end]! < 0x80) end++;
      if (end - pos > PREFIX_LIMIT) throw new BananaError(`more than ${PREFIX_LIMIT} bytes of prefix`);
      if (end >= buf.length) break;
      const num = readPrefix(buf.subarray(pos, end));
      const type = buf[end]!;
      let next = end + 1;
      if (type === LIST) {
        if (num > BigInt(SIZE_LIMIT)) throw new BananaError(`list too long (${num} elements, the limit is ${SIZE_LIMIT})`);
        if (num === 0n) got([]);
        else if (this.stack.length >= MAX_DEPTH) throw new BananaError(`lists nested deeper than ${MAX_DEPTH}`);
        else this.stack.push({ size: Number(num), items: [] });
      } else if (type === STRING) {
        if (num > BigInt(SIZE_LIMIT)) throw new BananaError(`string too long (${num} bytes, the limit is ${SIZE_LIMIT})`);
        if (buf.length - next < Number(num)) break;
        got(Buffer.from(buf.subarray(next, next + Number(num))));
        next += Number(num);
      } else if (type === INT || type === LONGINT) {
        got(toNumber(num));
      } else if (type === NEG || type === LONGNEG) {
        got(toNumber(-num));
      } else if (type === FLOAT) {
        if (buf.length - next < 8) break;
        got(buf.readDoubleBE(next));
        next += 8;
      } else if (type === VOCAB) {
        const word = num < BigInt(VOCABULARY.length) ? VOCABULARY[Number(num)] : undefined;
        if (!this.vocabulary || !word) throw new BananaError(`unknown vocabulary item ${num}`);
        got(Buffer.from(word, 'latin1'));
      } else {
        throw new BananaError(`invalid type byte 0x${type.toString(16)}`);
      }
      pos = next;
    }
    this.buffer = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    buf = Buffer.alloc(0);
    return out;
  }
}
