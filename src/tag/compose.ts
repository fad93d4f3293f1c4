/**
 * The seed's image tag, `<project>-<buildNumber>-<branch>-<git describe>`, composed purely from
 * facts (no git, no I/O) so every rule is a table-driven test.
 *
 * Rules: a Docker tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. Every other character becomes `-` and
 * runs of `-` collapse. When the tag is too long only the branch part is shortened (the project, build
 * number and describe part identify the build and are never cut); a shortened branch ends in a short
 * hash of the full branch name, so two long branches with the same prefix never share a tag.
 */
import { createHash } from 'node:crypto';
import { REGISTRY_PATTERN, REPOSITORY_PATTERN, TAG_PATTERN } from '../docker/reference.js';
import { UsageError } from '../errors.js';
import { redactHostUserinfo, redactUrl } from '../url-credentials.js';

export { REGISTRY_PATTERN, REPOSITORY_PATTERN, TAG_PATTERN };

export const MAX_TAG_LENGTH = 128;
/** Length of the branch hash added when the branch part had to be shortened or was unrepresentable. */
export const BRANCH_HASH_LENGTH = 8;

/**
 * Replaces every character that a Docker tag cannot hold with `-`, collapses runs of `-` and trims
 * `-` at both ends. Accented letters keep their base letter (`ü` → `u`); other non-ASCII characters,
 * `/`, spaces, quotes, `$()`, backticks and control characters all become `-`.
 */
export function sanitizeTagPart(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Short, stable hash of a branch name (hex), used when the branch part is shortened. */
export function branchHash(branch: string): string {
  return createHash('sha256').update(branch, 'utf8').digest('hex').slice(0, BRANCH_HASH_LENGTH);
}

/** Buildbot and webhooks sometimes pass the full ref: `refs/heads/main` means branch `main`. */
export function normalizeBranch(branch: string): string {
  return branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
}

/**
 * The branch part of a tag that has `budget` characters for it: the sanitized branch when it fits,
 * otherwise a prefix of it plus `-<hash of the full branch name>`. A branch with nothing
 * representable (`日本語`) becomes its hash alone. Returns undefined when not even the hash fits.
 */
export function sanitizeBranch(branch: string, budget = Number.POSITIVE_INFINITY): string | undefined {
  const clean = sanitizeTagPart(branch);
  if (clean.length > 0 && clean.length <= budget) return clean;
  const hash = branchHash(branch);
  if (budget < hash.length) return undefined;
  const room = budget - hash.length - 1;
  const prefix = clean.slice(0, Math.max(0, room)).replace(/[-.]+$/, '');
  return prefix.length > 0 ? `${prefix}-${hash}` : hash;
}

export interface TagFacts {
  project: string;
  /** Buildbot's build number: digits only. */
  buildNumber: string;
  branch: string;
  /** What `git describe --tags` printed (`0.5.20`, `0.5.20-12-gf5615cf`) or the abbreviated commit. */
  describe: string;
}

export interface ComposedTag {
  tag: string;
  /** True when the branch part had to be shortened (and carries a hash). */
  shortened: boolean;
}

/** Composes the tag or throws a UsageError naming the part that makes it impossible. */
/**
 * Problems with the arguments that do not depend on git (project, build number, branch, and a
 * project too long to leave room for anything else), so they are all reported before git runs.
 */
export function tagArgumentProblems(facts: Omit<TagFacts, 'describe'>): string[] {
  const problems: string[] = [];
  const project = sanitizeProject(facts.project);
  if (project.length === 0) problems.push(`--project ${JSON.stringify(facts.project)} has no character a Docker tag can hold (letters, digits, _ . -)`);
  const buildNumber = normalizeBuildNumber(facts.buildNumber);
  if (buildNumber === undefined) problems.push(`--build-number ${JSON.stringify(facts.buildNumber)} is not a whole number (Buildbot's build number, e.g. 123)`);
  if (normalizeBranch(facts.branch).trim().length === 0) problems.push('--branch is empty: pass the branch being built (Buildbot: util.Property("branch"))');
  // The smallest describe part is 4 characters (git's shortest abbreviation), the branch needs its hash.
  const minimum = project.length + (buildNumber?.length ?? 1) + BRANCH_HASH_LENGTH + 4 + 3;
  if (project.length > 0 && minimum > MAX_TAG_LENGTH) {
    problems.push(`--project is ${project.length} characters after sanitizing: with the build number, a branch hash and a describe part the tag cannot fit Docker's ${MAX_TAG_LENGTH} characters`);
  }
  return problems;
}

const sanitizeProject = (project: string) => sanitizeTagPart(project).replace(/^[.]+/, '');

export function composeTag(facts: TagFacts): ComposedTag {
  const problems = tagArgumentProblems(facts);
  const project = sanitizeProject(facts.project);
  const buildNumber = normalizeBuildNumber(facts.buildNumber);
  const branchInput = normalizeBranch(facts.branch);
  const describe = sanitizeTagPart(facts.describe);
  if (describe.length === 0) problems.push(`git describe output ${JSON.stringify(facts.describe)} has no character a Docker tag can hold`);
  if (problems.length > 0) throw new UsageError(problems.join('\n'), { hint: problems.some((p) => p.includes('cannot fit')) ? 'use a shorter --project name' : undefined });

  const fixed = project.length + buildNumber!.length + describe.length + 3;
  const budget = MAX_TAG_LENGTH - fixed;
  const branch = sanitizeBranch(branchInput, budget);
  if (branch === undefined) {
    throw new UsageError(
      `the tag cannot fit Docker's ${MAX_TAG_LENGTH} characters: project ${JSON.stringify(project)} (${project.length}), ` +
        `build number (${buildNumber!.length}) and describe ${JSON.stringify(describe)} (${describe.length}) leave ${Math.max(0, budget)} ` +
        `characters for the branch, fewer than the ${BRANCH_HASH_LENGTH} its hash needs`,
      { hint: 'use a shorter --project name, or shorter git tag names' },
    );
  }
  const tag = `${project}-${buildNumber}-${branch}-${describe}`;
  // The parts are each sanitized, so this only guards the rules above against future edits.
  if (!TAG_PATTERN.test(tag)) throw new Error(`internal: composed an invalid tag ${JSON.stringify(tag)}`);
  return { tag, shortened: branch !== sanitizeTagPart(branchInput) };
}

export function normalizeBuildNumber(text: string): string | undefined {
  const t = text.trim();
  if (!/^\d{1,15}$/.test(t)) return undefined;
  return String(Number(t));
}

export interface ImageNameOptions {
  project: string;
  registry?: string | undefined;
  repository?: string | undefined;
  tag: string;
}

/** `<registry>/<repository>:<tag>` (or `<repository>:<tag>`), validating the registry and repository. */
export function composeImage(options: ImageNameOptions): { image: string; repository: string } {
  const problems: string[] = [];
  const repository = options.repository ?? options.project.toLowerCase();
  const from = options.repository === undefined ? `the project name lowercased (--project ${JSON.stringify(options.project)})` : '--repository';
  if (!REPOSITORY_PATTERN.test(repository) || repository.length > 255) {
    problems.push(
      `repository ${JSON.stringify(repository)} from ${from} is not a valid Docker repository path ` +
        '(lowercase letters and digits, separated by . _ __ or -, components joined by /)',
    );
  }
  let registry = options.registry;
  if (registry !== undefined) {
    registry = registry.replace(/\/+$/, '');
    if (/^[a-z]+:\/\//i.test(registry)) {
      problems.push(`--registry ${JSON.stringify(redactUrl(options.registry ?? ''))} must be HOST[:PORT] without a scheme, e.g. registry.example.com:5000`);
    } else if (!REGISTRY_PATTERN.test(registry)) {
      problems.push(`--registry ${JSON.stringify(redactHostUserinfo(options.registry ?? ''))} is not HOST[:PORT] (e.g. registry.example.com or 127.0.0.1:5000)`);
    }
  }
  if (problems.length > 0) {
    throw new UsageError(problems.join('\n'), {
      hint: options.repository === undefined && problems.some((p) => p.startsWith('repository'))
        ? 'pass --repository NAME (e.g. --repository team/webapp)'
        : undefined,
    });
  }
  const image = `${registry ? `${registry}/` : ''}${repository}:${options.tag}`;
  return { image, repository };
}
