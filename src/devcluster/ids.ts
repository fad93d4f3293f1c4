/**
 * Marathon path ids (API-NOTES §8): lowercase segments of letters, digits, '-' and '.', made
 * absolute against '/', never the root, never ending in a reserved word.
 */
const SEGMENT = /^(?:(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])|\.|\.\.)$/;
export const ID_REGEX_TEXT =
  '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$';
/** The RAML PathId pattern that play-json checks on a body `id` (error.pattern). */
export const RAML_PATH_ID = /^(\/?((\.\.)|(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9]))?($|\/))+$/;
const RESERVED = new Set(['restart', 'tasks', 'versions', '.', '..']);

/** Makes an id absolute and canonical ('a/b/' → '/a/b'), resolving '.' and '..'. */
export function canonicalId(raw: string): string {
  const out: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** Problems with an id as Marathon reports them on path '/id' (empty when valid). */
export function idProblems(raw: string): string[] {
  const segments = raw.split('/').filter((s) => s !== '');
  const problems: string[] = [];
  if (segments.length === 0) return ['Path must contain at least one path element'];
  for (const s of segments) {
    if (!SEGMENT.test(s)) {
      problems.push(`must fully match regular expression '${ID_REGEX_TEXT}'`);
      break;
    }
  }
  const last = segments[segments.length - 1] ?? '';
  if (RESERVED.has(last)) problems.push(`must not end with any of the following reserved words: ${[...RESERVED].join(', ')}`);
  return problems;
}

/** `/tools/docker/registry` → `tools_docker_registry` (task ids and text/plain tasks). */
export function safeAppId(id: string): string {
  return id.replace(/^\//, '').replace(/\//g, '_');
}
