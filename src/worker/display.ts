/**
 * How a shell command is shown in its log header, the way buildbot-worker shows it (runprocess.py):
 * the command line shell-quoted with obfuscated arguments (`['obfuscated', real, fake]`) in their fake
 * form, and `argv:` / `watching logfiles` as Python reprs.
 */
export type CommandArg = string | Uint8Array | [string, string, string] | unknown;

function isObfuscated(a: unknown): a is [string, string, string] {
  return Array.isArray(a) && a.length === 3 && a[0] === 'obfuscated';
}

function text(a: unknown): string {
  if (typeof a === 'string') return a;
  if (a instanceof Uint8Array) return Buffer.from(a).toString('utf8');
  return String(a);
}

/** The argv (or shell string) that is run. */
export function realCommand(command: CommandArg[] | string): string[] | string {
  if (typeof command === 'string') return command;
  return command.map((a) => (isObfuscated(a) ? text(a[1]) : text(a)));
}

function fake(command: CommandArg[] | string): string[] | string {
  if (typeof command === 'string') return command;
  return command.map((a) => (isObfuscated(a) ? text(a[2]) : text(a)));
}

/** Python's shlex/pipes.quote; empty arguments show as "". */
export function shellQuote(arg: string): string {
  if (arg === '') return '""';
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'"'"'`)}'`;
}

export function displayCommand(command: CommandArg[] | string): string {
  const f = fake(command);
  return typeof f === 'string' ? f : f.map(shellQuote).join(' ');
}

function bytesRepr(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = '';
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `b${quote}${out}${quote}`;
}

/** `[b'echo', b'hi']` or `b'echo hi'`, as the Python worker prints `argv:`. */
export function pythonBytesRepr(command: CommandArg[] | string): string {
  const f = fake(command);
  return typeof f === 'string' ? bytesRepr(f) : `[${f.map(bytesRepr).join(', ')}]`;
}

function strRepr(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function valueRepr(v: unknown): string {
  if (typeof v === 'string') return strRepr(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'object') return pythonDictRepr(v as Record<string, unknown>);
  return String(v);
}

export function pythonDictRepr(d: Record<string, unknown>): string {
  return `{${Object.entries(d).map(([k, v]) => `${strRepr(k)}: ${valueRepr(v)}`).join(', ')}}`;
}
