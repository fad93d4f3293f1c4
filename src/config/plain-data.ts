/**
 * A config's exported value copied into plain data (objects, arrays, strings, numbers, booleans,
 * null), reading every property once. Getters run here, inside the evaluation, so one that throws
 * is reported with its path instead of surfacing later as a crash; a function, a class instance or
 * a cycle is refused the same way. The copy is what crosses from the evaluating thread.
 */
export class PlainDataError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path || '(the default export)'}: ${message}`);
  }
}

const MAX_DEPTH = 64;

export function plainData(value: unknown, at = '', depth = 0, ancestors: object[] = []): unknown {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (typeof value !== 'object') throw new PlainDataError(at, `a ${typeof value} is not config data (use strings, numbers, booleans, lists and objects)`);
  if (ancestors.includes(value)) throw new PlainDataError(at, 'contains itself (a cycle); a config is a tree of plain data');
  if (depth >= MAX_DEPTH) throw new PlainDataError(at, `nested more than ${MAX_DEPTH} levels deep (does it contain itself?)`);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(plainData(read(value, i, `${at}[${i}]`), `${at}[${i}]`, depth + 1, [...ancestors, value]));
    return out;
  }
  let proto: unknown;
  try {
    proto = Object.getPrototypeOf(value);
  } catch (error) {
    throw new PlainDataError(at, `reading it threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new PlainDataError(at, `a ${name} is not config data (use a plain object)`);
  }
  const out: Record<string, unknown> = {};
  let keys: string[];
  try {
    keys = Object.keys(value);
  } catch (error) {
    throw new PlainDataError(at, `listing its keys threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const key of keys) {
    const p = at ? `${at}.${key}` : key;
    out[key] = plainData(read(value, key, p), p, depth + 1, [...ancestors, value]);
  }
  return out;
}

function read(holder: object, key: string | number, at: string): unknown {
  try {
    return (holder as Record<string | number, unknown>)[key];
  } catch (error) {
    throw new PlainDataError(at, `reading it threw: ${error instanceof Error ? error.message : String(error)}`);
  }
}
