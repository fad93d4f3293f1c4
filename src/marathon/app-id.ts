/**
 * Marathon app ids (API-NOTES.md §8): a path of lowercase segments. Checked before any request is
 * sent, so `bbm deploy` never round-trips to learn that the seed's `webApp` is invalid.
 */
import { UsageError } from '../errors.js';

const SEGMENT = /^(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;
const RESERVED_LAST = new Set(['restart', 'tasks', 'versions', '.', '..']);

/** Every reason `raw` is not a valid absolute app id; empty when it is valid. */
export function appIdProblems(raw: string): string[] {
  const problems: string[] = [];
  const body = raw.startsWith('/') ? raw.slice(1) : raw;
  if (body === '' || body === '/') return ['the root group "/" is not an app id'];
  const segments = body.split('/');
  segments.forEach((s, i) => {
    if (s === '') problems.push(`segment ${i + 1} is empty (a doubled or trailing "/")`);
    else if (s === '.' || s === '..') problems.push(`segment "${s}" is a relative path element`);
    else if (!SEGMENT.test(s))
      problems.push(
        `segment "${s}" may hold only lowercase letters, digits, "-" and "." and must start and end with a letter or digit`,
      );
  });
  const last = segments[segments.length - 1] ?? '';
  if (RESERVED_LAST.has(last) && last !== '.' && last !== '..') problems.push(`the last segment may not be "${last}"`);
  return problems;
}

/** A valid id close to `raw` (lowercased, bad characters turned into "-"), or undefined if none. */
export function suggestAppId(raw: string): string | undefined {
  const segments = raw
    .split('/')
    .map((s) =>
      s
        .toLowerCase()
        .replace(/[^a-z0-9.-]+/g, '-')
        .replace(/\.{2,}/g, '.')
        .replace(/-*\.-*/g, '.')
        .replace(/^[-.]+|[-.]+$/g, ''),
    )
    .filter((s) => s !== '');
  if (segments.length === 0) return undefined;
  const last = segments[segments.length - 1] ?? '';
  if (RESERVED_LAST.has(last)) segments[segments.length - 1] = `${last}-app`;
  const candidate = `/${segments.join('/')}`;
  return appIdProblems(candidate).length === 0 ? candidate : undefined;
}

/**
 * `webapp`, `/webapp`, `/group/web/` → `/webapp`, `/group/web`; throws a UsageError naming every
 * problem and the fixed id otherwise. `source` says where the id came from (`--app-id`, `app.json:3`).
 */
export function normalizeAppId(raw: string, source = 'app id'): string {
  const trimmed = raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw;
  const id = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  const problems = appIdProblems(id);
  if (problems.length === 0) return id;
  const suggestion = suggestAppId(raw);
  throw new UsageError(`${source}: ${JSON.stringify(raw)} is not a valid Marathon app id: ${problems.join('; ')}`, {
    hint: suggestion
      ? `use ${JSON.stringify(suggestion)} (Marathon ids are lowercase: letters, digits, "-" and ".", segments separated by "/")`
      : 'Marathon ids are lowercase: letters, digits, "-" and ".", segments separated by "/"',
  });
}

