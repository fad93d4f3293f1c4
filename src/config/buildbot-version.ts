/**
 * The Buildbot version a generated master.cfg targets (`buildbot.version`), and what differs
 * between versions: the one home of those rules. Each feature names the first Buildbot release
 * that has (or needs) it, read from Buildbot's source at that tag (buildbot/buildbot):
 *
 * - gitFetchTags (4.1): `master/buildbot/steps/source/git.py` fetched with `-t` up to 4.0.x; from
 *   4.1 it fetches tags only with `tags=True` (accepted from 3.10; 3.7's BuildStep refuses the
 *   unknown keyword). Without them a reused workdir keeps stale tags and `bbm tag`'s describe is wrong.
 * - forcePriority (3.9): `master/buildbot/schedulers/forcesched.py` adds a Priority field to
 *   every force form; the generated forms hide it (nothing here uses build request priority).
 * - projects (3.9): `c['projects']` and `BuilderConfig(project=…)` (`buildbot/process/project.py`)
 *   group builders on the UI's Projects page.
 */

export interface BuildbotVersion {
  major: number;
  minor: number;
}

/** The versions generation supports: Debian 12's 3.7 up to the 4.x series. */
export const OLDEST_BUILDBOT: BuildbotVersion = { major: 3, minor: 7 };
export const NEWEST_MAJOR = 4;

export const BUILDBOT_FEATURES = {
  gitFetchTags: { major: 4, minor: 1 },
  forcePriority: { major: 3, minor: 9 },
  projects: { major: 3, minor: 9 },
} as const satisfies Record<string, BuildbotVersion>;

export type BuildbotFeature = keyof typeof BUILDBOT_FEATURES;

export function compareVersions(a: BuildbotVersion, b: BuildbotVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

export const formatVersion = (v: BuildbotVersion) => `${v.major}.${v.minor}`;

/** `'4.3'`, `'4.3.0'` or `'3.7.0.post2'` → 4.3 / 3.7; undefined when it is not a version. */
export function parseBuildbotVersion(text: string): BuildbotVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.\d+(?:\.?(?:post|dev|rc)\d+)?)?$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** Why a version cannot be targeted, or undefined when it can. */
export function unsupportedReason(v: BuildbotVersion): string | undefined {
  if (compareVersions(v, OLDEST_BUILDBOT) < 0) return `Buildbot ${formatVersion(v)} is older than the oldest supported, ${formatVersion(OLDEST_BUILDBOT)} (Debian 12)`;
  if (v.major > NEWEST_MAJOR) return `Buildbot ${formatVersion(v)} is newer than the ${NEWEST_MAJOR}.x series this bbm knows`;
  return undefined;
}

/** A written version → the version, or what is wrong with it (for `buildbot.version` and `--buildbot-version`). */
export function buildbotVersionProblem(text: string): BuildbotVersion | string {
  const v = parseBuildbotVersion(text);
  if (!v) return `${JSON.stringify(text)} is not a Buildbot version; write major.minor, e.g. '4.3' (or '3.7' for Debian 12's packages)`;
  const why = unsupportedReason(v);
  return why ? `${why}; supported: ${formatVersion(OLDEST_BUILDBOT)} to ${NEWEST_MAJOR}.x` : v;
}

export function hasFeature(v: BuildbotVersion, feature: BuildbotFeature): boolean {
  return compareVersions(v, BUILDBOT_FEATURES[feature]) >= 0;
}

/**
 * The versions for which a file generated for `v` is right: from the newest feature threshold at
 * or below `v` to the next threshold above it (none: open-ended). A master outside it refuses the
 * file with what to set, instead of e.g. silently building from stale tags.
 */
export function compatibleRange(v: BuildbotVersion): { from: BuildbotVersion; below: BuildbotVersion | null } {
  const thresholds = [OLDEST_BUILDBOT, ...Object.values(BUILDBOT_FEATURES)].sort(compareVersions);
  let from = OLDEST_BUILDBOT;
  let below: BuildbotVersion | null = null;
  for (const t of thresholds) {
    if (compareVersions(t, v) <= 0) from = t;
    else if (below === null) below = t;
  }
  return { from, below };
}
