import { describe, expect, it } from 'vitest';
import { PlainDataError, plainData } from '../../src/config/plain-data.js';

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = { back: cyclic };
const deep = JSON.parse('['.repeat(100) + ']'.repeat(100)) as unknown;

describe('a config value as plain data', () => {
  it.each([
    [{ a: 1, b: ['x', true, null], c: { d: undefined } }, { a: 1, b: ['x', true, null], c: { d: undefined } }],
    [Object.defineProperty({}, 'g', { enumerable: true, get: () => 'from a getter' }), { g: 'from a getter' }],
    [Object.assign(Object.create(null) as object, { x: 1 }), { x: 1 }],
  ])('%j is copied', (value, copy) => {
    expect(plainData(value)).toEqual(copy);
  });

  it.each([
    ['function', { p: [{ n: () => 1 }] }, 'p[0].n: a function is not config data'],
    ['Date', { when: new Date(0) }, 'when: a Date is not config data'],
    ['bigint', { big: 1n }, 'big: a bigint is not config data'],
    ['throwing getter', Object.defineProperty({ ok: 1 }, 'bad', { enumerable: true, get() { throw new Error('boom'); } }), 'bad: reading it threw: boom'],
    ['cycle', cyclic, 'self.back: contains itself'],
    ['100 levels', deep, 'nested more than 64 levels deep'],
    ['proxy whose keys throw', new Proxy({}, { ownKeys() { throw new Error('trap'); } }), '(the default export): listing its keys threw: trap'],
  ])('a %s is refused', (_label, value, message) => {
    let error: unknown;
    try {
      plainData(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlainDataError);
    expect((error as Error).message).toContain(message);
  });
});
