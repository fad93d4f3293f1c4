/**
 * Whether a build ran healthy in a source environment, so it may be promoted. Light (no I/O
 * modules), so the web console uses the same rules. Pure.
 *
 * What runs now is judged from the app itself: every instance of its current version healthy, no
 * deployment running. A build that no longer runs cannot be judged from Marathon: it keeps no
 * outcome of a deployment (a finished plan is deleted, core/deployment/impl/DeploymentManagerActor.scala),
 * stores an app version even for a PUT it then refuses with 409 (core/group/impl/GroupManagerImpl.scala
 * updateRootEither: storeRootVersion before deploy), holds health results only for live instances
 * (in memory, core/health/impl/HealthCheckActor.scala; taskStats in core/appinfo/TaskStatsByVersion.scala
 * counts live instances too) and only the last task failure of an app (core/history/impl/HistoryActor.scala).
 * So bbm records it: every definition bbm sends carries `bbm.replaced-healthy-version`, the version
 * it replaces when that one was seen healthy just before (replacedHealthyRecord). A label cannot be
 * added after a rollout without restarting every task (state/AppDefinition.scala isUpgrade compares
 * labels), so the record rides on the next deploy, and Marathon keeps it with that version.
 */
import { BUILD_LABELS } from '../deploy/labels.js';
import { countVersion } from '../marathon/task-health.js';
import type { AppDefinition, AppInfo } from '../marathon/types.js';

/** Why what runs in `app` may not be promoted; null when every instance runs the current version healthy. */
export function unhealthyReason(app: AppInfo): string | null {
  if ((app.deployments ?? []).length > 0) return `a deployment is running on it (${(app.deployments ?? []).map((d) => d.id).join(', ')}); promote once it has finished`;
  const c = countVersion(app, app.version);
  if (c.instances === 0) return 'it is scaled to 0 instances';
  if (c.healthy < c.instances || c.old > 0)
    return `${c.healthy} of ${c.instances} instances of its current version are healthy${c.old ? ` (${c.old} tasks of older versions)` : ''}`;
  return null;
}

/** The version a definition's record names as having run healthy, if any. */
export function healthRecordOf(labels: Record<string, unknown> | undefined): string | null {
  const v = labels?.[BUILD_LABELS.replacedHealthy];
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The image a definition runs: its Docker image, else bbm's `bbm.image` label (an app with only a `cmd`). */
function imageOf(def: Pick<AppDefinition, 'container' | 'labels'>): string | undefined {
  const docker = def.container?.docker?.image;
  if (typeof docker === 'string' && docker !== '') return docker;
  const label = def.labels?.[BUILD_LABELS.image];
  return typeof label === 'string' && label !== '' ? label : undefined;
}

/**
 * The record a definition carries when it replaces `current`:
 * - `current` runs the same image: `current`'s own record (or none), so a definition sent again
 *   unchanged stays unchanged and restarts nothing;
 * - `current` is healthy (unhealthyReason): `current.version`;
 * - otherwise (nothing there, unhealthy, a deployment running): none.
 */
export function replacedHealthyRecord(current: AppInfo | null | undefined, def: Pick<AppDefinition, 'container' | 'labels'>): string | null {
  if (!current) return null;
  const image = imageOf(def);
  if (image !== undefined && imageOf(current) === image) return healthRecordOf(current.labels);
  return unhealthyReason(current) === null ? current.version : null;
}

/** `def` with bbm's record for replacing `current` (a record the template brought is never kept). Does not change `def`. */
export function withHealthRecord(def: AppDefinition, current: AppInfo | null | undefined): AppDefinition {
  const labels: Record<string, string> = { ...(def.labels ?? {}) };
  delete labels[BUILD_LABELS.replacedHealthy];
  const record = replacedHealthyRecord(current, def);
  if (record) labels[BUILD_LABELS.replacedHealthy] = record;
  return { ...def, labels };
}

/** A stored version of an app as bbm reads it. */
export interface StoredVersion {
  version: string;
  image?: string | null | undefined;
  labels?: Record<string, string> | undefined;
}

export interface KnownGoodBuild {
  /** The `bbm.build-number` label. */
  build: string;
  /** The app version it ran healthy as (the newest such version). */
  version: string;
  image: string | null;
  commit: string | null;
  /** It runs now, every instance healthy. */
  running: boolean;
}

function buildOf(labels: Record<string, unknown> | undefined): string | null {
  const b = labels?.[BUILD_LABELS.buildNumber];
  return typeof b === 'string' && /^[0-9]+$/.test(b) ? b : null;
}

function commitOf(labels: Record<string, unknown> | undefined): string | null {
  const c = labels?.[BUILD_LABELS.commit];
  return typeof c === 'string' && c !== '' ? c : null;
}

/**
 * The builds known to have run healthy in the environment of `app`, newest first, each once: the
 * one running now when it is healthy (never, when it is not), then the builds of the stored
 * versions that the record of the app or of another stored version names. Order of `history` does not matter; versions without a build
 * number are left out.
 */
export function knownGoodBuilds(app: AppInfo | null | undefined, history: readonly StoredVersion[]): KnownGoodBuild[] {
  if (!app) return [];
  const out: KnownGoodBuild[] = [];
  const seen = new Set<string>();
  const current = buildOf(app.labels);
  if (current && unhealthyReason(app) === null)
    out.push({ build: current, version: app.version, image: app.container?.docker?.image ?? null, commit: commitOf(app.labels), running: true });
  // a build that runs now is judged by how it runs now (bbm promote does the same)
  if (current) seen.add(current);
  const records = new Set<string>();
  for (const r of [healthRecordOf(app.labels), ...history.map((h) => healthRecordOf(h.labels))]) if (r) records.add(r);
  const newestFirst = [...history].sort((a, b) => (a.version < b.version ? 1 : a.version > b.version ? -1 : 0));
  for (const h of newestFirst) {
    const build = buildOf(h.labels);
    if (!build || seen.has(build) || !records.has(h.version)) continue;
    seen.add(build);
    out.push({ build, version: h.version, image: h.image ?? null, commit: commitOf(h.labels), running: false });
  }
  return out;
}

/** "7 (running now), 5, 4" or "none". */
export function describeKnownGood(good: readonly KnownGoodBuild[]): string {
  return good.length ? good.map((g) => (g.running ? `${g.build} (running now)` : g.build)).join(', ') : 'none';
}
