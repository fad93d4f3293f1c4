/**
 * Reads a JSON document and remembers on which line every value starts, so problems can be reported
 * as `marathon.json:31 /healthChecks(0)/path`. Paths use Marathon's own notation (mesosphere/marathon
 * src/main/scala/mesosphere/marathon/api/v2/Validation.scala, as in its 422 `details`):
 * `/a/b` for fields and `(i)` for array indexes.
 */
import { UsageError } from '../errors.js';

export interface JsonSource {
  file: string;
  value: unknown;
  /** Line (1-based) of the value at a Marathon-style path, or of its nearest parent that exists. */
  lineOf(path: string): number | undefined;
  /** `file:line` for a path. */
  where(path: string): string;
}

export function marathonPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent === '/' ? '' : parent}(${key})`;
  return `${parent === '/' ? '' : parent}/${key}`;
}

/** Far deeper than any app definition (Marathon's own nest about 6 levels); deeper input is refused. */
export const MAX_JSON_DEPTH = 64;

/** The path of the first value nested deeper than `max`, found without recursion. */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): string | undefined {
  const stack: [unknown, string, number][] = [[value, '/', 0]];
  while (stack.length > 0) {
    const [v, at, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return at;
    if (Array.isArray(v)) v.forEach((item, i) => stack.push([item, marathonPath(at, i), depth + 1]));
    else for (const [k, item] of Object.entries(v)) stack.push([item, marathonPath(at, k), depth + 1]);
  }
  return undefined;
}

export function parseJsonSource(text: string, file: string): JsonSource {
  if (text.startsWith('\uFEFF'))
    throw new UsageError(`${file}: starts with a UTF-8 byte-order mark (BOM), which JSON does not allow`, {
      hint: `save it as UTF-8 without BOM (e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' ${file})`,
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    // V8 messages differ between versions and may quote the text: keep only the first clause
    const message = raw.replace(/( in JSON)? at position \d+.*$/s, '').replace(/, (\.\.\.)?".*$/s, '').slice(0, 120);
    const pos = errorOffset(text);
    const { line, col } = pos === undefined ? { line: 0, col: 0 } : lineCol(text, pos);
    const trailingComma = pos !== undefined && /,\s*$/.test(text.slice(0, pos)) && /^\s*[\]}]/.test(text.slice(pos));
    throw new UsageError(`${file}${line ? `:${line}:${col}` : ''}: not valid JSON (${message})`, {
      hint: trailingComma
        ? 'remove the trailing comma before the closing bracket (Marathon would answer 400 "Invalid JSON")'
        : 'fix the JSON syntax; `node -e "JSON.parse(require(\'fs\').readFileSync(0))" < FILE` shows the same error',
    });
  }
  const deep = tooDeep(value);
  if (deep !== undefined)
    throw new UsageError(`${file}: nested more than ${MAX_JSON_DEPTH} levels deep (at ${deep.length > 80 ? `${deep.slice(0, 80)}…` : deep})`, {
      hint: 'an app definition is a few levels deep; check the file is the app definition you meant',
    });
  const lines = new Map<string, number>();
  try {
    indexLines(text, lines);
  } catch {
    // the index is a convenience; JSON.parse above is the judge of validity
  }
  const lineOf = (path: string): number | undefined => {
    for (let p = path; ; ) {
      const l = lines.get(p);
      if (l !== undefined) return l;
      if (p === '/' || p === '') return undefined;
      const cut = Math.max(p.lastIndexOf('/'), p.lastIndexOf('('));
      p = cut <= 0 ? '/' : p.slice(0, cut);
    }
  };
  return { file, value, lineOf, where: (path) => `${file}${lineOf(path) ? `:${lineOf(path)}` : ''}` };
}

/**
 * Where JSON.parse gives up, found without relying on its message: a prefix that is valid so far
 * fails only with "end of input", and once a prefix is invalid every longer one is too.
 */
function errorOffset(text: string): number | undefined {
  const incomplete = (n: number): boolean => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (e) {
      const m = (e as Error).message;
      if (/end of JSON input|Unterminated/.test(m)) return true;
      const pos = /position (\d+)/.exec(m)?.[1];
      return pos !== undefined && Number(pos) >= n;
    }
  };
  let lo = 0;
  let hi = text.length;
  if (incomplete(hi)) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (incomplete(mid)) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 1);
}

function lineCol(text: string, pos: number): { line: number; col: number } {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return { line, col: pos - before.lastIndexOf('\n') };
}

/** A small recursive scanner over already-valid JSON that records each value's starting line. */
function indexLines(text: string, out: Map<string, number>): void {
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === '\n') line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\uFEFF') break;
      i++;
    }
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    out.set(path, line);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        const key = str();
        ws();
        i++; // :
        value(marathonPath(path, key));
        ws();
        if (text[i++] === '}') return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (let n = 0; ; n++) {
        value(marathonPath(path, n));
        ws();
        if (text[i++] === ']') return;
      }
    }
    if (c === '"') return void str();
    while (i < text.length && !/[\s,\]}]/.test(text[i] ?? '')) i++;
  };
  value('/');
}
