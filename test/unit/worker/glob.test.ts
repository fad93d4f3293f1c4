import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { glob, segmentRegex } from '../../../src/worker/glob.js';

describe('segmentRegex (fnmatch)', () => {
  it.each([
    ['*.txt', 'a.txt', true],
    ['*.txt', 'a.txtx', false],
    ['?', 'ab', false],
    ['[ab]c', 'bc', true],
    ['[!ab]c', 'bc', false],
    ['[!ab]c', 'xc', true],
    ['a[', 'a[', true],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
  ])('%s ~ %s: %s', (pattern, name, match) => expect(segmentRegex(pattern).test(name)).toBe(match));
});

describe("glob (Python's glob.glob, recursive=True)", () => {
  const root = mkdtempSync(path.join(tmpdir(), 'bbm-glob-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  for (const f of ['a.txt', 'b.log', '.hidden.txt', 'sub/c.txt', 'sub/deeper/d.txt', '.dot/e.txt']) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), f);
  }
  const rel = (pattern: string) => glob(path.join(root, pattern)).map((p) => path.relative(root, p) || '.').sort();

  it.each([
    ['*.txt', ['a.txt']],
    ['.*.txt', ['.hidden.txt']],
    ['*/*.txt', ['sub/c.txt']],
    ['**/*.txt', ['a.txt', 'sub/c.txt', 'sub/deeper/d.txt']],
    ['sub/**', ['sub', 'sub/c.txt', 'sub/deeper', 'sub/deeper/d.txt']],
    ['nothing*', []],
    ['a.txt', ['a.txt']],
    ['missing.txt', []],
    ['s?b/[cd].txt', ['sub/c.txt']],
  ])('%s', (pattern, expected) => expect(rel(pattern)).toEqual(expected));
});
