import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { MAX_JSON_DEPTH, parseJsonSource, tooDeep } from '../../../src/deploy/json-source.js';

const nested = (n: number) => `{"id":"/a","x":${'['.repeat(n)}${']'.repeat(n)}}`;

describe('app definition JSON that cannot be used is a usage error naming the file', () => {
  it.each([
    ['a UTF-8 BOM', '\uFEFF{"id":"/a"}', /app\.json: starts with a UTF-8 byte-order mark \(BOM\)/],
    ['200 000 levels of nesting', nested(200_000), /app\.json: nested more than 64 levels deep \(at \/x\(0\)\(0\)/],
    ['one level too deep', nested(MAX_JSON_DEPTH), /nested more than 64 levels deep/],
  ])('%s', (_name, text, message) => {
    expect(() => parseJsonSource(text, 'app.json')).toThrow(UsageError);
    expect(() => parseJsonSource(text, 'app.json')).toThrow(message);
  });

  it('the deepest allowed nesting is accepted', () => {
    expect(parseJsonSource(nested(MAX_JSON_DEPTH - 2), 'app.json').value).toMatchObject({ id: '/a' });
  });

  it.each([
    [{ a: { b: [1, { c: 2 }] } }, 3, '/a/b(1)'],
    [{ a: { b: [1, { c: 2 }] } }, 4, undefined],
    ['plain', 0, undefined],
  ])('tooDeep(%j, %d) = %s', (value, max, at) => {
    expect(tooDeep(value, max)).toBe(at);
  });
});
