/**
 * Reads an untrusted value field by field, collecting every problem with its path (the config
 * was maybe never type-checked: a JSON file). Used by resolve.ts and environments.ts.
 */
import type { Problem } from '../errors.js';
import { hasUrlSecret, redactUrl } from '../url-credentials.js';
import { CONTROL, SIMPLE_NAME, branchProblem } from './names.js';

type Obj = Record<string, unknown>;

export class Reader {
  readonly problems: Problem[] = [];

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  object(value: unknown, path: string, keys: readonly string[]): Obj | undefined {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.problem(path, `must be an object, got ${describe(value)}`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) this.problem(join(path, key), `unknown key; known keys here: ${keys.join(', ')}`);
    }
    return value as Obj;
  }

  required(obj: Obj | undefined, key: string, path: string): unknown {
    const v = obj?.[key];
    if (obj && v === undefined) this.problem(join(path, key), 'is required');
    return v;
  }

  string(value: unknown, path: string, opts: { allowControl?: boolean; pattern?: RegExp; patternText?: string } = {}): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.problem(path, `must be a string, got ${describe(value)}`);
      return undefined;
    }
    if (value === '') {
      this.problem(path, 'must not be empty');
      return undefined;
    }
    if (!opts.allowControl && CONTROL.test(value)) {
      this.problem(path, `must not contain control characters (newline, NUL…): ${JSON.stringify(redactUrl(value))}`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(value)) {
      this.problem(path, `${JSON.stringify(redactUrl(value))} is not valid: ${opts.patternText}`);
      return undefined;
    }
    return value;
  }

  int(value: unknown, path: string, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.problem(path, `must be a whole number from ${min} to ${max}, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  number(value: unknown, path: string, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.problem(path, `must be a number from ${min} to ${max}, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  bool(value: unknown, path: string): boolean | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') {
      this.problem(path, `must be true or false, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  array<T>(value: unknown, path: string, item: (v: unknown, p: string) => T | undefined, opts: { nonEmpty?: boolean } = {}): T[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      this.problem(path, `must be a list, got ${describe(value)}`);
      return undefined;
    }
    if (opts.nonEmpty && value.length === 0) this.problem(path, 'must not be empty');
    const out: T[] = [];
    value.forEach((v, i) => {
      const r = item(v, `${path}[${i}]`);
      if (r !== undefined) out.push(r);
    });
    return out;
  }

  secret(value: unknown, path: string): string | undefined {
    return this.string(value, path, { pattern: SIMPLE_NAME, patternText: 'a secret is named by its file name in the secrets directory: letters, digits, `.`, `_`, `-`' });
  }

  url(value: unknown, path: string): string | undefined {
    const s = this.string(value, path);
    if (s === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      this.problem(path, `${JSON.stringify(redactUrl(s))} is not a URL; write it like http://host:port`);
      return undefined;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      this.problem(path, `${JSON.stringify(redactUrl(s))} must be an http:// or https:// URL`);
      return undefined;
    }
    if (u.username || u.password || hasUrlSecret(s)) {
      this.problem(path, 'must not contain credentials; name a secret instead (nothing secret goes into master.cfg)');
      return undefined;
    }
    return s;
  }
}

export const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(redactUrl(v.length > 60 ? `${v.slice(0, 60)}…` : v));
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export const BRANCH = (r: Reader) => (v: unknown, p: string) => {
  const s = r.string(v, p);
  if (s === undefined) return undefined;
  const why = branchProblem(s);
  if (why) {
    r.problem(p, `branch ${JSON.stringify(s)} ${why}`);
    return undefined;
  }
  return s;
};
