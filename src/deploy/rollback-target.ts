/**
 * Which stored version `bbm rollback` goes back to, chosen by bbm's own build labels rather than by
 * timestamps. Marathon's version list cannot be read as "the builds in order":
 * - a PUT it refuses with 409 still leaves a version (mesosphere/marathon
 *   core/group/impl/GroupManagerImpl.scala, updateRootEither stores the root before deploying);
 * - a rollback started by DELETE /v2/deployments/{id} gets a version of its own: 1.5–1.8 a fresh
 *   timestamp, 1.9.71+ the master's start-up time (state/Group.scala, defaultVersion), which can
 *   sort before every build;
 * - a scale keeps the configuration but makes a version (upgrade/GroupVersioningUtil.scala).
 *
 * The rule: walking back from what runs now, the most recent earlier build (by `bbm.image`, and
 * `bbm.build-number` when given: two builds of one image are still two builds) that
 * differs from it and was not itself rolled back — a version Marathon rolled back is followed by a
 * version that returns to the image before it. Versions without bbm labels are skipped (only
 * `--to` can name them). Pure.
 */
import { BUILD_LABELS } from './plan.js';

export interface VersionFacts {
  version: string;
  image?: string | undefined;
  project?: string | undefined;
  buildNumber?: string | undefined;
  commit?: string | undefined;
  branch?: string | undefined;
}

/** The build facts bbm put on a stored version (undefined fields when it carries no bbm labels). */
export function versionFacts(version: string, labels: Record<string, unknown> | undefined): VersionFacts {
  const get = (k: string) => (typeof labels?.[k] === 'string' ? (labels[k] as string) : undefined);
  return {
    version,
    image: get(BUILD_LABELS.image),
    project: get(BUILD_LABELS.project),
    buildNumber: get(BUILD_LABELS.buildNumber),
    commit: get(BUILD_LABELS.commit),
    branch: get(BUILD_LABELS.branch),
  };
}

/**
 * The builds a rollback can go to, best first (the first is the default target).
 * `history` is every stored version, oldest first by timestamp; `current` is the version the app
 * runs now (its `version`). When the current version is a copy of an image stored before — a
 * rollback, possibly stamped with the master's start-up time and sorted first — the newest other
 * version of that image stands for it, so the walk starts where that build really was.
 */
export function rollbackCandidates(history: readonly VersionFacts[], current: VersionFacts): VersionFacts[] {
  const key = (v: VersionFacts) => (v.image === undefined ? undefined : `${v.image}#${v.buildNumber ?? ''}`);
  const copy = current.image !== undefined && history.some((v) => v.version !== current.version && key(v) === key(current));
  const ordered = copy ? history.filter((v) => v.version !== current.version) : history.some((v) => v.version === current.version) ? [...history] : [...history, current];
  // runs of one image collapse into their newest version (a scale, an identical redeploy)
  const builds: VersionFacts[] = [];
  for (const v of ordered) {
    if (!v.image) continue;
    if (builds.length && key(builds[builds.length - 1]!) === key(v)) builds[builds.length - 1] = v;
    else builds.push(v);
  }
  const running = key(current);
  let start = builds.length - 1;
  if (running === undefined) start = builds.length;
  else while (start >= 0 && key(builds[start]!) !== running) start--;
  if (start < 0) start = builds.length;
  const out: VersionFacts[] = [];
  const seen = new Set<string>(running ? [running] : []);
  for (let i = start - 1; i >= 0; i--) {
    const v = builds[i]!;
    const before = builds[i - 1] && key(builds[i - 1]!);
    const after = builds[i + 1] && key(builds[i + 1]!);
    if (before !== undefined && after === before) continue; // Marathon (or someone) rolled it back
    if (seen.has(key(v)!)) continue;
    seen.add(key(v)!);
    out.push(v);
  }
  return out;
}

/** `build 12 (commit abc1234) 127.0.0.1:5000/web:web-12-main-… version 2026-…` for logs and status. */
export function describeBuild(v: VersionFacts): string {
  const build = v.buildNumber ? `build ${v.buildNumber}` : 'a build';
  const commit = v.commit ? ` (commit ${v.commit.slice(0, 12)})` : '';
  return `${build}${commit} ${v.image ?? '(no bbm.image label)'} version ${v.version}`;
}
