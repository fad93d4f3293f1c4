/**
 * What a promote form offers as the source build: the build that runs healthy in the source
 * environment now, then the recent builds that ran there and were not rolled back. Read from an app
 * with its recent versions (the web console's deployments endpoint gives both), newest first. A
 * suggestion only: `bbm promote --build N` decides, finding build N in the source's versions. Pure.
 */
import { BUILD_LABELS } from '../deploy/labels.js';
import type { AppInfo } from '../marathon/types.js';
import { unhealthyReason } from './source-health.js';

/** An app as the deployments endpoint answers it: Marathon's fields plus its recent versions, newest first. */
export type AppWithHistory = AppInfo & { history?: { version: string; image?: string | null; labels?: Record<string, string> }[] };

export interface PromotionCandidate {
  /** The value of the promote form's `source_build` field (`bbm promote --build`). */
  build: string;
  image: string | null;
  commit: string | null;
  /** The app version it ran as (the newest one when it ran as several). */
  version: string;
  /** Runs in the source now, every instance healthy. */
  running: boolean;
}

interface Ran {
  build: string;
  image: string | null;
  commit: string | null;
  version: string;
}

function ran(version: string, image: string | null | undefined, labels: Record<string, string> | undefined): Ran | null {
  const build = labels?.[BUILD_LABELS.buildNumber];
  if (typeof build !== 'string' || !/^[0-9]+$/.test(build)) return null;
  const commit = labels?.[BUILD_LABELS.commit];
  return { build, image: image ?? null, commit: typeof commit === 'string' && commit !== '' ? commit : null, version };
}

const same = (a: Ran | null | undefined, b: Ran | null | undefined) => !!a && !!b && a.build === b.build && a.image === b.image;

/**
 * Newest first. The running build leads when every instance of the current version is healthy
 * (and no deployment runs); a build whose version was followed by the build before it again (a
 * failed deploy that bbm rolled back, or a `bbm rollback`) is not offered; each build once.
 */
export function promotionCandidates(app: AppWithHistory | null | undefined): PromotionCandidate[] {
  if (!app) return [];
  const current = ran(app.version, app.container?.docker?.image, app.labels);
  // Versions oldest → newest, the current one last; versions that only scaled collapse into one run.
  const versions = [...(app.history ?? [])]
    .filter((h) => h.version !== app.version)
    .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))
    .map((h) => ran(h.version, h.image, h.labels));
  versions.push(current);
  const runs: (Ran | null)[] = [];
  for (const v of versions) {
    const last = runs[runs.length - 1];
    if (runs.length > 0 && (same(last, v) || (last === null && v === null))) runs[runs.length - 1] = v;
    else runs.push(v);
  }
  const out: PromotionCandidate[] = [];
  const seen = new Set<string>();
  if (current && unhealthyReason(app) === null) {
    out.push({ ...current, running: true });
    seen.add(current.build);
  }
  if (current) seen.add(current.build);
  for (let i = runs.length - 2; i >= 0; i--) {
    const r = runs[i];
    if (!r || seen.has(r.build)) continue;
    const rolledBack = i > 0 && same(runs[i - 1], runs[i + 1]);
    if (rolledBack) continue;
    seen.add(r.build);
    out.push({ ...r, running: false });
  }
  return out;
}
