/**
 * Marathon app ids, the one home of their rules (mesosphere/marathon
 * src/main/scala/mesosphere/marathon/state/PathId.scala at v1.10.26: `ID_PATH_SEGMENT_PATTERN`,
 * `reservedKeywords`, `canonicalPath`, `safePath`; the RAML `PathId` type in
 * docs/docs/rest-api/public/api/v2/types/stringTypes.raml). Used by `bbm deploy` (checked before
 * any request is sent, so the seed's `webApp` never round-trips), the config (`appId`) and
 * `bbm devcluster` (which answers with Marathon's own messages).
 */
import { UsageError } from '../errors.js';

/** One segment that names something: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit. */
const NAME_SEGMENT = /^(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;
/** Marathon's `ID_PATH_SEGMENT_PATTERN`, which also lets the relative elements "." and ".." through. */
const isMarathonSegment = (s: string) => NAME_SEGMENT.test(s) || s === '.' || s === '..';
/** The pattern's text exactly as Marathon prints it in its validation message. */
export const ID_REGEX_TEXT =
  '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$';
/** The RAML PathId pattern that play-json checks on a body `id` (error.pattern). */
export const RAML_PATH_ID = /^(\/?((\.\.)|(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9]))?($|\/))+$/;
/** Words the last segment may not be (they are sub-resources of /v2/apps/{id}). */
export const RESERVED_LAST_SEGMENTS: readonly string[] = ['restart', 'tasks', 'versions', '.', '..'];
const RESERVED = new Set(RESERVED_LAST_SEGMENTS);

/** Makes an id absolute and canonical ('a/b/' → '/a/b'), resolving '.' and '..' (PathId.canonicalPath). */
export function canonicalId(raw: string): string {
  const out: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** What Marathon says about an id on path '/id', word for word (empty when it accepts it). */
export function idProblems(raw: string): string[] {
  const segments = raw.split('/').filter((s) => s !== '');
  const problems: string[] = [];
  if (segments.length === 0) return ['Path must contain at least one path element'];
  if (segments.some((s) => !isMarathonSegment(s))) problems.push(`must fully match regular expression '${ID_REGEX_TEXT}'`);
  const last = segments[segments.length - 1] ?? '';
  if (RESERVED.has(last)) problems.push(`must not end with any of the following reserved words: ${RESERVED_LAST_SEGMENTS.join(', ')}`);
  return problems;
}

/**
 * Every reason `raw` is not an app id bbm sends, in words a user can act on; empty when valid.
 * Stricter than Marathon only where Marathon would silently rewrite the id: bbm wants the
 * canonical form, so empty segments and "." / ".." are refused rather than resolved.
 */
export function appIdProblems(raw: string): string[] {
  const problems: string[] = [];
  const body = raw.startsWith('/') ? raw.slice(1) : raw;
  if (body === '' || body === '/') return ['the root group "/" is not an app id'];
  const segments = body.split('/');
  segments.forEach((s, i) => {
    if (s === '') problems.push(`segment ${i + 1} is empty (a doubled or trailing "/")`);
    else if (s === '.' || s === '..') problems.push(`segment "${s}" is a relative path element`);
    else if (!NAME_SEGMENT.test(s))
      problems.push(`segment "${s}" may hold only lowercase letters, digits, "-" and "." and must start and end with a letter or digit`);
  });
  const last = segments[segments.length - 1] ?? '';
  if (RESERVED.has(last) && last !== '.' && last !== '..') problems.push(`the last segment may not be "${last}"`);
  return problems;
}

/** Whether Marathon accepts `id` as an app id and bbm sends it unchanged (absolute or not). */
export function isValidAppId(id: string): boolean {
  return appIdProblems(id.startsWith('/') ? id : `/${id}`).length === 0;
}

/** A valid id close to `raw` (lowercased, bad characters turned into "-"), or undefined if none. */
export function suggestAppId(raw: string): string | undefined {
  const segments = raw
    .split('/')
    .map((s) =>
      s
        .toLowerCase()
        .replace(/[^a-z0-9.-]+/g, '-')
        .replace(/-{2,}/g, '-')
        .replace(/\.{2,}/g, '.')
        .replace(/-*\.-*/g, '.')
        .replace(/^[-.]+|[-.]+$/g, ''),
    )
    .filter((s) => s !== '');
  if (segments.length === 0) return undefined;
  const last = segments[segments.length - 1] ?? '';
  if (RESERVED.has(last)) segments[segments.length - 1] = `${last}-app`;
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

/** `/tools/docker/registry` → `tools_docker_registry` (PathId.safePath: task ids, text/plain tasks, HAProxy names). */
export function safeAppId(id: string): string {
  let start = 0;
  while (id.charCodeAt(start) === 0x2f) start++; // leading slashes go
  return id.slice(start).replaceAll('/', '_');
}
