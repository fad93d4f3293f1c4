import { describe, expect, it } from 'vitest';
import { displayCommand, pythonBytesRepr, pythonDictRepr, realCommand, shellQuote } from '../../../src/worker/display.js';

describe('command display (runprocess.py)', () => {
  it.each([
    ['plain', 'plain'],
    ['', '""'],
    ['a b', "'a b'"],
    ["it's", `'it'"'"'s'`],
    ['$(x)', "'$(x)'"],
    ['a=b,c:d/e.f-g@h%i+j', 'a=b,c:d/e.f-g@h%i+j'],
  ])('shellQuote(%j) = %s', (arg, quoted) => expect(shellQuote(arg)).toBe(quoted));

  it('shows obfuscated arguments in their fake form and runs the real one', () => {
    const cmd = ['login', ['obfuscated', 'hunter2', '<password>'], 'x y'];
    expect(displayCommand(cmd)).toBe("login '<password>' 'x y'");
    expect(realCommand(cmd)).toEqual(['login', 'hunter2', 'x y']);
    expect(pythonBytesRepr(cmd)).toBe("[b'login', b'<password>', b'x y']");
  });

  it.each([
    ['echo hi', "b'echo hi'"],
    ["it's", `b"it's"`],
    ['é\n', "b'\\xc3\\xa9\\n'"],
  ])('pythonBytesRepr(%j) = %s', (cmd, repr) => expect(pythonBytesRepr(cmd)).toBe(repr));

  it('a string command is shown as it is and run through the shell', () => {
    expect(displayCommand('make && make test')).toBe('make && make test');
    expect(realCommand('make && make test')).toBe('make && make test');
  });

  it('prints logfiles like a Python dict', () => {
    expect(pythonDictRepr({ out: 'out.txt', f: { filename: 'x', follow: true } })).toBe("{'out': 'out.txt', 'f': {'filename': 'x', 'follow': True}}");
  });
});
