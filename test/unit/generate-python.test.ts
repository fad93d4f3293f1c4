import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { py, pyCall, pyStr, PyExpr, type PyValue } from '../../src/generate/python.js';
import { HOSTILE_STRINGS } from '../support/generate-config.js';

const PYTHON = '/usr/bin/python3';

/** Evaluates each literal with ast.literal_eval and returns the values back as JSON. */
function literalEval(literals: string[]): unknown[] {
  const script = [
    'import ast, json, sys',
    'src = sys.stdin.read().split("\\n")',
    'print(json.dumps([ast.literal_eval(line) for line in src if line]))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { input: literals.join('\n') + '\n', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown[];
}

describe('Python literal encoder', () => {
  // One Python run for the whole table (each case still reports on its own).
  const literals = HOSTILE_STRINGS.map((s) => pyStr(s));
  let evaluated: unknown[] = [];
  beforeAll(() => {
    evaluated = literalEval(literals);
  });

  it.each(HOSTILE_STRINGS.map((s, i) => [JSON.stringify(s).slice(0, 50), i]))('%s round-trips through ast.literal_eval', (_, i) => {
    expect(literals[i]).toMatch(/^'[\x20-\x7e]*'$/); // one line of printable ASCII, whatever the input
    expect(evaluated[i]).toEqual(HOSTILE_STRINGS[i]);
  });

  it('round-trips nested values', () => {
    const values: PyValue[] = [
      null,
      true,
      false,
      0,
      -42,
      1.5,
      [],
      {},
      ['a', ["'''", { k: 'v\n' }]],
      { "quote'key": [1, 2, { '\u0000': null }], other: false },
    ];
    expect(literalEval(values.map((v) => py(v)))).toEqual(values);
  });

  it('every hostile string inside one dict round-trips', () => {
    const dict = Object.fromEntries(HOSTILE_STRINGS.map((s, i) => [`${i}${s}`, s]));
    expect(literalEval([py(dict)])).toEqual([dict]);
  });

  it('refuses numbers Python cannot read back', () => {
    expect(() => py(Number.NaN)).toThrow(/cannot encode/);
    expect(() => py(Number.POSITIVE_INFINITY)).toThrow(/cannot encode/);
  });

  it('passes generator-written code through only as PyExpr, encoding every argument', () => {
    expect(py(pyCall('util.Secret', ["x') or __import__('os"]))).toBe("util.Secret('x\\') or __import__(\\'os')");
    expect(py({ secret: new PyExpr('util.Secret(\'a\')') })).toBe("{'secret': util.Secret('a')}");
    // A string that looks like code is still a string.
    expect(py("util.Secret('a')")).toBe("'util.Secret(\\'a\\')'");
  });
});
