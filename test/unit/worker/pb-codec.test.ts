import { describe, expect, it } from 'vitest';
import { BananaDecoder, BananaError, encode, MAX_DEPTH, PyFloat, SIZE_LIMIT, type Banana } from '../../../src/worker/pb/banana.js';
import { CopiedInstance, CopyableFailure, describeFailure, jelly, JellyError, MAX_JELLY_DEPTH, Tuple, unjelly } from '../../../src/worker/pb/jelly.js';

const hex = (h: string) => Buffer.from(h.replace(/ /g, ''), 'hex');
const bytes = (s: string) => Buffer.from(s, 'latin1');

function decodeAll(data: Buffer, vocabulary = true) {
  const d = new BananaDecoder();
  d.vocabulary = vocabulary;
  return d.push(data);
}

describe('banana encode/decode (twisted/spread/banana.py)', () => {
  // bytes as Twisted 22.4's Banana writes them in the pb dialect
  const cases: [string, Banana, string][] = [
    ['zero', 0, '00 81'],
    ['small int', 5, '05 81'],
    ['int over 7 bits', 300, '2c 02 81'],
    ['largest INT', 2 ** 31 - 1, '7f 7f 7f 7f 07 81'],
    ['LONGINT', 2 ** 31, '00 00 00 00 08 85'],
    ['NEG', -5, '05 83'],
    ['smallest NEG', -(2 ** 31), '00 00 00 00 08 83'],
    ['LONGNEG', -(2 ** 31) - 1, '01 00 00 00 08 86'],
    ['bigint', 2n ** 70n, '00 00 00 00 00 00 00 00 00 00 01 85'],
    ['float', 1.5, '84 3f f8 00 00 00 00 00 00'],
    ['whole float', new PyFloat(2), '84 40 00 00 00 00 00 00 00'],
    ['bytes', bytes('abc'), '03 82 61 62 63'],
    ['empty bytes', bytes(''), '00 82'],
    ['vocabulary word', bytes('message'), '1a 87'],
    ['empty list', [], '00 80'],
    ['nested list', [1, [bytes('x')]], '02 80 01 81 01 80 01 82 78'],
  ];
  it.each(cases)('%s', (_name, value, wire) => {
    expect(encode(value).toString('hex')).toBe(hex(wire).toString('hex'));
    const [decoded] = decodeAll(hex(wire));
    const norm = (v: Banana): unknown => (v instanceof PyFloat ? v.value : Array.isArray(v) ? v.map(norm) : v instanceof Uint8Array ? Buffer.from(v) : v);
    expect(decoded).toEqual(norm(value));
  });

  it('sends vocabulary words as strings before the dialect is chosen', () => {
    expect(encode([bytes('pb'), bytes('none')], false).toString('hex')).toBe('0280028270620482' + '6e6f6e65');
  });

  it('decodes byte by byte as well as at once', () => {
    const wire = encode([bytes('message'), 1, bytes('root'), [bytes('list'), -7, 2.25]]);
    const d = new BananaDecoder();
    d.vocabulary = true;
    const got = [];
    for (const byte of wire) got.push(...d.push(Buffer.from([byte])));
    expect(got).toEqual(decodeAll(wire));
    expect(got).toHaveLength(1);
  });

  it('returns several expressions from one chunk', () => {
    expect(decodeAll(Buffer.concat([encode(1), encode(bytes('a')), encode([])]))).toEqual([1, bytes('a'), []]);
  });

  const refused: [string, Buffer, RegExp][] = [
    ['a prefix over 64 bytes', Buffer.alloc(65, 1), /prefix/],
    ['a string over the size limit', Buffer.concat([encode(SIZE_LIMIT + 1).subarray(0, -1), hex('82')]), /string too long/],
    ['a list over the size limit', Buffer.concat([encode(SIZE_LIMIT + 1).subarray(0, -1), hex('80')]), /list too long/],
    ['an unknown type byte', hex('01 88'), /invalid type byte/],
    ['an unknown vocabulary word', hex('7f 87'), /vocabulary/],
    ['lists nested too deep', Buffer.concat(Array.from({ length: MAX_DEPTH + 1 }, () => hex('01 80'))), /nested/],
  ];
  it.each(refused)('refuses %s', (_name, wire, message) => {
    expect(() => decodeAll(wire)).toThrow(BananaError);
    expect(() => decodeAll(wire)).toThrow(message);
  });

  it('refuses vocabulary before the pb dialect is chosen', () => expect(() => decodeAll(hex('1a 87'), false)).toThrow(BananaError));

  it('refuses to send what Twisted would refuse', () => {
    expect(() => encode(Buffer.alloc(SIZE_LIMIT + 1))).toThrow(/too long/);
    expect(() => encode(2n ** 448n)).toThrow(/too large/);
  });
});

describe('jelly/unjelly (twisted/spread/jelly.py)', () => {
  const b = bytes;
  const cases: [string, unknown, unknown, unknown?][] = [
    ['None', null, [b('None')]],
    ['true', true, [b('boolean'), b('true')]],
    ['str', 'héllo', [b('unicode'), Buffer.from('héllo', 'utf8')]],
    ['bytes', b('raw'), b('raw')],
    ['int', 42, 42],
    ['list', [1, 'a'], [b('list'), 1, [b('unicode'), b('a')]]],
    ['tuple', new Tuple(1, 2), [b('tuple'), 1, 2], [1, 2]],
    ['dict', { a: 1 }, [b('dictionary'), [[b('unicode'), b('a')], 1]]],
  ];
  it.each(cases)('%s', (_name, value, jellied, back) => {
    expect(jelly(value)).toEqual(jellied);
    expect(unjelly(decodeAll(encode(jelly(value) as Banana))[0]!)).toEqual(back ?? value);
  });

  it('reads references and dereferences, circular ones included', () => {
    const shared = unjelly([b('list'), [b('reference'), 1, [b('list'), 7]], [b('dereference'), 1]]) as unknown[];
    expect(shared[0]).toBe(shared[1]);
    const circular = unjelly([b('reference'), 1, [b('dictionary'), [[b('unicode'), b('self')], [b('dereference'), 1]]]]) as Record<string, unknown>;
    expect(circular.self).toBe(circular);
  });

  it('keeps a __proto__ key as data', () => {
    const d = unjelly([b('dictionary'), [[b('unicode'), b('__proto__')], [b('dictionary'), [[b('unicode'), b('polluted')], 1]]]]) as Record<string, unknown>;
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(d)).toEqual(['__proto__']);
  });

  it('hands remote and local references to the peer', () => {
    const got = unjelly([b('tuple'), [b('remote'), 3], [b('local'), b('root')]], { remote: (l) => ({ remote: l }), local: (l) => ({ local: l }) });
    expect(got).toEqual([{ remote: 3 }, { local: b('root') }]);
    expect(() => unjelly([b('remote'), 3])).toThrow(JellyError);
  });

  it('sends a local object as remote and a reference back as local', () => {
    const mine = { kind: 'mine' };
    const theirs = { kind: 'theirs' };
    const peer = { referenceFor: (v: object) => (v === mine ? 5 : undefined), localIdOf: (v: object) => (v === theirs ? 9 : undefined) };
    expect(jelly(new Tuple(mine, theirs), peer)).toEqual([b('tuple'), [b('remote'), 5], [b('local'), 9]]);
  });

  it('keeps a copied instance as data and reads a failure', () => {
    const f = unjelly([b('twisted.spread.pb.CopyableFailure'), [b('dictionary'), [[b('unicode'), b('type')], b('twisted.cred.error.UnauthorizedLogin')], [[b('unicode'), b('value')], [b('unicode'), b('')]]]]);
    expect(f).toBeInstanceOf(CopiedInstance);
    expect(describeFailure(f)).toBe('twisted.cred.error.UnauthorizedLogin: ');
  });

  it('sends a failure as a CopyableFailure', () => {
    const j = jelly(new CopyableFailure('twisted.spread.flavors.NoSuchMethod', 'No such method: remote_x')) as Banana[];
    expect(j[0]).toEqual(b('twisted.spread.pb.CopyableFailure'));
    expect(describeFailure(unjelly(decodeAll(encode(j))[0]!))).toBe('twisted.spread.flavors.NoSuchMethod: No such method: remote_x');
  });

  const refused: [string, unknown][] = [
    ['a module', [b('module'), b('os')]],
    ['a function', [b('function'), b('os.system')]],
    ['a class', [b('class'), b('os.Popen')]],
    ['a persistent id', [b('persistent'), 1]],
    ['an undotted type', [b('os'), 1]],
    ['a list not starting with a type', [1, 2]],
    ['an unknown dereference', [b('dereference'), 4]],
    ['unicode without bytes', [b('unicode')]],
    ['too deep a value', Array.from({ length: MAX_JELLY_DEPTH + 2 }).reduce<unknown>((acc) => [b('list'), acc], 1)],
  ];
  it.each(refused)('refuses %s', (_name, expr) => expect(() => unjelly(expr as never)).toThrow(JellyError));
});
