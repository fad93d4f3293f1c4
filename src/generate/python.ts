/**
 * The one way a value becomes Python source in master.cfg. Strings become single-quoted literals
 * that are pure ASCII (everything else escaped), so no value — quotes, backslashes, newlines,
 * `'''`, NUL, lone surrogates, U+2028 — can end the literal or change what the file does.
 * Generator-written code (`util.Secret(…)`) is a `PyExpr` object, never a string, so a config
 * string can never pass through unencoded by looking like code.
 */

declare const pyBrand: unique symbol;
/** A fragment of Python source produced by this module; what templates print. */
export type Py = string & { readonly [pyBrand]: true };

/** Python source written by the generator itself. */
export class PyExpr {
  constructor(readonly source: string) {}
}

export type PyValue = string | number | boolean | null | PyExpr | readonly PyValue[] | { readonly [key: string]: PyValue };

const code = (s: string) => s as Py;

export function pyStr(value: string): Py {
  let out = "'";
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return code(`${out}'`);
}

/** Encodes a value: string, finite number, boolean, null, list, dict with string keys, or a PyExpr. */
export function py(value: PyValue): Py {
  if (value === null) return code('None');
  if (value === true) return code('True');
  if (value === false) return code('False');
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} as a Python literal`);
    return code(Number.isInteger(value) ? value.toFixed(0) : String(value));
  }
  if (typeof value === 'string') return pyStr(value);
  if (value instanceof PyExpr) return code(value.source);
  if (Array.isArray(value)) return code(`[${value.map((v: PyValue) => py(v)).join(', ')}]`);
  const entries = Object.entries(value as Record<string, PyValue>);
  return code(`{${entries.map(([k, v]) => `${pyStr(k)}: ${py(v)}`).join(', ')}}`);
}

/** `fn(arg, key=value)` with every argument encoded; `fn` and the keywords are generator-written. */
export function pyCall(fn: string, args: readonly PyValue[], kwargs: Readonly<Record<string, PyValue>> = {}): PyExpr {
  const parts = [...args.map((a) => py(a)), ...Object.entries(kwargs).map(([k, v]) => `${k}=${py(v)}`)];
  return new PyExpr(`${fn}(${parts.join(', ')})`);
}
