/**
 * Filling an app definition template with the build's facts.
 *
 * Syntax: `${name}` anywhere inside a string value, with name one of PLACEHOLDERS. `$${` writes a
 * literal `${` (for a shell `${PORT0}` in `cmd`). Other `$` signs are left alone (`$PORT0` in a
 * command is Marathon's business), except that the seed's `$project_tag` is accepted as the legacy
 * spelling of "the image reference without its registry host". Substitution happens on parsed string
 * values, never on JSON text, so a value with quotes or newlines cannot change the document's shape.
 */
import type { Problem } from '../errors.js';
import { marathonPath } from './json-source.js';

export interface BuildFacts {
  image: string;
  project?: string;
  buildNumber?: string;
  branch?: string;
  commit?: string;
  describe?: string;
  buildUrl?: string;
  /** The environment deployed to (`${env}`, label bbm.environment). */
  env?: string;
  /** `${tag}` when `image` is pinned by digest (a promotion): the tag it was built as. */
  tag?: string;
}

export const PLACEHOLDERS = ['image', 'tag', 'repository', 'project', 'buildNumber', 'branch', 'commit', 'describe', 'buildUrl', 'env'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Which flag / variable provides each placeholder, for error messages. */
export const PLACEHOLDER_SOURCE: Record<Placeholder, string> = {
  image: '--image / BBM_IMAGE',
  tag: 'the tag of --image',
  repository: 'the repository of --image',
  project: '--project / BBM_PROJECT',
  buildNumber: '--build-number / BBM_BUILD_NUMBER',
  branch: '--branch / BBM_BRANCH',
  commit: '--commit / BBM_COMMIT',
  describe: '--describe / BBM_DESCRIBE',
  buildUrl: '--build-url / BBM_BUILD_URL',
  env: '--environment / BBM_ENVIRONMENT',
};

export interface ImageParts {
  /** Registry host[:port], when the first path component looks like one. */
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** `127.0.0.1:5000/web:web-1-main-abc` → registry, repository, tag (Docker's reference rules). */
export function parseImageRef(ref: string): ImageParts {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts: ImageParts = { repository: rest };
  if (registry !== undefined) parts.registry = registry;
  if (tag !== undefined) parts.tag = tag;
  if (digest !== undefined) parts.digest = digest;
  return parts;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Problems with an image reference as given in --image (or as it came out of the template). */
export function imageRefProblems(ref: string): string[] {
  if (ref === '') return ['the image reference is empty'];
  if (ref.includes('$')) return [`${JSON.stringify(ref)} still holds a "$": a placeholder was not filled in, and "$" is never valid in a Docker reference`];
  if (/\s/.test(ref)) return [`${JSON.stringify(ref)} contains whitespace`];
  const p = parseImageRef(ref);
  const problems: string[] = [];
  if (!REPOSITORY.test(p.repository)) problems.push(`repository ${JSON.stringify(p.repository)} must be lowercase letters, digits and separators (. _ - /)`);
  if (p.tag !== undefined && !TAG.test(p.tag)) problems.push(`tag ${JSON.stringify(p.tag)} must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  if (p.digest !== undefined && !/^[a-z0-9]+:[a-f0-9]{32,}$/.test(p.digest)) problems.push(`digest ${JSON.stringify(p.digest)} is not algorithm:hex`);
  return problems;
}

export function placeholderValues(facts: BuildFacts): Partial<Record<Placeholder, string>> {
  const img = parseImageRef(facts.image);
  const values: Partial<Record<Placeholder, string>> = { image: facts.image, repository: img.repository };
  if (img.tag !== undefined) values.tag = img.tag;
  else if (facts.tag) values.tag = facts.tag;
  for (const k of ['project', 'buildNumber', 'branch', 'commit', 'describe', 'buildUrl', 'env'] as const) {
    const v = facts[k];
    if (v !== undefined && v !== '') values[k] = v;
  }
  return values;
}

export interface FillResult {
  value: unknown;
  problems: Problem[];
  /** Placeholders that were used, and where (for the plan's summary). */
  used: { path: string; name: string }[];
  /** The legacy `$project_tag` was found. */
  legacy: string[];
}

const TOKEN = /\$\$\{|\$\{([^}]*)\}|\$project_tag\b|\$\{/g;

/** Fills every string value of `template`; collects every problem rather than stopping at the first. */
export function fillTemplate(template: unknown, facts: BuildFacts): FillResult {
  const values = placeholderValues(facts);
  const img = parseImageRef(facts.image);
  const withoutRegistry = facts.image.slice(img.registry ? img.registry.length + 1 : 0);
  const problems: Problem[] = [];
  const used: FillResult['used'] = [];
  const legacy: string[] = [];
  const fillString = (s: string, path: string): string =>
    s.replace(TOKEN, (match, name: string | undefined) => {
      if (match === '$${') return '${';
      if (match === '$project_tag') {
        legacy.push(path);
        used.push({ path, name: 'project_tag' });
        return withoutRegistry;
      }
      if (name === undefined) {
        problems.push({ path, message: 'an unclosed "${" (write "$${" for a literal "${")' });
        return match;
      }
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        problems.push({
          path,
          message: `unknown placeholder \${${name}}; known: ${PLACEHOLDERS.map((p) => `\${${p}}`).join(' ')} (write "$\${${name}}" to keep it literally)`,
        });
        return match;
      }
      const v = values[name as Placeholder];
      used.push({ path, name });
      if (v === undefined) {
        problems.push({ path, message: `\${${name}} has no value: give ${PLACEHOLDER_SOURCE[name as Placeholder]}` });
        return match;
      }
      return v;
    });
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === 'string') return fillString(node, path);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, marathonPath(path, i)));
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, marathonPath(path, k));
      return out;
    }
    return node;
  };
  const value = walk(template, '/');
  return { value, problems, used, legacy };
}
