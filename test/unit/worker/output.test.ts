import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, LineSplitter, OutputBuffer, pythonRegex, type Timer, type Update } from '../../../src/worker/output.js';

const newline = pythonRegex(DEFAULT_SETTINGS.newlineRe);

describe('LineSplitter', () => {
  it.each([
    ['whole lines', ['a\nb\n'], ['a\nb\n'], undefined],
    ['a partial line waits', ['ab', 'c\nd'], [undefined, 'abc\n'], 'd\n'],
    ['CRLF becomes LF', ['a\r\nb\r\n'], ['a\nb\n'], undefined],
    ['a lone CR before text is a newline (progress bars)', ['10%\r20%\r30%\n'], ['10%\n20%\n30%\n'], undefined],
    ['a CR at the end waits for what follows', ['x\r'], [undefined], 'x\n'],
    ['cursor codes and backspaces are newlines', ['a\x1b[2Jb\x08\x08c\n'], ['a\nb\nc\n'], undefined],
    ['an empty chunk', [''], [undefined], undefined],
  ])('%s', (_name, inputs, outputs, flushed) => {
    const s = new LineSplitter(4096, newline);
    expect(inputs.map((i) => s.append(i, 1)?.[0])).toEqual(outputs);
    expect(s.flush()?.[0]).toBe(flushed);
  });

  it('splits overlong lines at max_line_length - 1 characters plus a newline', () => {
    const s = new LineSplitter(5, newline);
    expect(s.append('abcdefghij\n', 1)?.[0]).toBe('abcd\nefgh\nij\n');
  });

  it('reports newline offsets and the time each line started', () => {
    const s = new LineSplitter(4096, newline);
    expect(s.append('ab', 1)).toBeUndefined();
    expect(s.append('\ncd\n', 2)).toEqual(['ab\ncd\n', [2, 5], [1, 2]]);
  });

  it('converts Python octal escapes', () => {
    expect(pythonRegex('\\033\\[u').source).toBe('\\x1b\\[u');
  });
});

function fakeTimer(): Timer & { fire(): void; armed: number } {
  let fn: (() => void) | undefined;
  return {
    armed: 0,
    set(_ms, f) {
      this.armed++;
      fn = f;
      return 1;
    },
    clear() {
      fn = undefined;
    },
    fire() {
      const f = fn;
      fn = undefined;
      f?.();
    },
  };
}

describe('OutputBuffer', () => {
  const make = (bufferSize = 1000) => {
    const sent: Update[][] = [];
    const timer = fakeTimer();
    const b = new OutputBuffer({ ...DEFAULT_SETTINGS, bufferSize }, (u) => sent.push(u), timer, () => 7);
    return { b, sent, timer };
  };

  it('joins consecutive lines of one stream and sends them when the timeout fires', () => {
    const { b, sent, timer } = make();
    b.add([['stdout', 'a\n']]);
    b.add([['stdout', 'b\n']]);
    b.add([['stderr', 'e\n']]);
    expect(sent).toEqual([]);
    timer.fire();
    expect(sent).toEqual([
      [
        ['stdout', ['a\nb\n', [1, 3], [7, 7]]],
        ['stderr', ['e\n', [1], [7]]],
      ],
    ]);
  });

  it('sends at once past buffer_size', () => {
    const { b, sent } = make(10);
    b.add([['stdout', 'abcdefghijkl\n']]);
    expect(sent.length).toBe(1);
  });

  it('keeps other updates (rc, files) in order with the text', () => {
    const { b, sent } = make();
    b.add([['header', 'h\n'], ['rc', 0], ['stdout', 'partial']]);
    b.flush();
    expect(sent).toEqual([
      [
        ['header', ['h\n', [1], [7]]],
        ['rc', 0],
        ['stdout', ['partial\n', [7], [7]]],
      ],
    ]);
  });

  it('sends logfile text as [name, chunk], per name', () => {
    const { b, sent } = make();
    b.add([['log', ['out', 'x\n']], ['log', ['out', 'y\n']], ['log', ['other', 'z\n']]]);
    b.flush();
    expect(sent).toEqual([
      [
        ['log', ['out', ['x\ny\n', [1, 3], [7, 7]]]],
        ['log', ['other', ['z\n', [1], [7]]]],
      ],
    ]);
  });
});
