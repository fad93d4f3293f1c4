import { describe, expect, it } from 'vitest';
import { lastPage, pageLabel, pageQuery, parseChunk } from '../../../src/console/model/log.js';
import { duration, resultView } from '../../../src/console/model/results.js';

describe('resultView: a word and a symbol for every state', () => {
  it.each([
    [0, true, 'success', 'ok'],
    [1, true, 'warnings', 'warn'],
    [2, true, 'failure', 'bad'],
    [3, true, 'skipped', 'idle'],
    [4, true, 'exception', 'bad'],
    [5, true, 'retry', 'warn'],
    [6, true, 'cancelled', 'bad'],
    [null, false, 'running', 'busy'],
    [9, true, 'result 9', 'warn'],
  ] as const)('%s', (results, complete, word, tone) => {
    const v = resultView(results, complete);
    expect([v.word, v.tone]).toEqual([word, tone]);
    expect(v.symbol).not.toBe('');
  });
  it('a step not started yet is pending', () => expect(resultView(null, false, false).word).toBe('pending'));
});

it.each([
  [100, 112, 0, '12s'],
  [100, 165, 0, '1m 05s'],
  [0, 1, 0, ''],
  [100, null, 3825, '1h 02m'],
])('duration(%s, %s)', (start, end, now, text) => expect(duration(start, end, now)).toBe(text));

describe('log pages', () => {
  it('splits stdio lines by stream and keeps text logs as they are', () => {
    expect(parseChunk('hcmd\nohello\neoops\n', 's')).toEqual([
      { stream: 'h', text: 'cmd' },
      { stream: 'o', text: 'hello' },
      { stream: 'e', text: 'oops' },
    ]);
    expect(parseChunk('ohi\n', 't')).toEqual([{ stream: 't', text: 'ohi' }]);
  });
  it.each([
    [0, 0],
    [1, 0],
    [1000, 0],
    [1001, 1],
    [25000, 24],
  ])('%i lines: last page %i', (lines, page) => expect(lastPage(lines)).toBe(page));
  it('asks for one page of lines and says which', () => {
    expect(pageQuery(2)).toEqual({ offset: 2000, limit: 1000 });
    expect(pageLabel(2, 2500)).toBe('lines 2001–2500 of 2500');
    expect(pageLabel(0, 0)).toBe('no lines yet');
  });
});
