/**
 * Promotion, decided purely: which environment feeds the target, whether what runs in the source may
 * be promoted (healthy, not mid-deployment), which build's image that is, whether the target
 * already runs that digest, and the facts and labels of the deploy that follows.
 */
import { OperationFailedError, UsageError } from '../errors.js';
import type { ProjectTargets } from '../config/targets.js';
import { BUILD_LABELS } from '../deploy/plan.js';
import { describeKnownGood, knownGoodBuilds, unhealthyReason } from './source-health.js';
import type { BuildFacts } from '../deploy/template.js';
import type { AppDefinition, AppInfo } from '../marathon/types.js';
import { parseImageReference } from '../docker/reference.js';

export { unhealthyReason };

export interface PromoteRoute {
  from: string;
  to: string;
  source: ProjectTargets['environments'][number];
  target: ProjectTargets['environments'][number];
}

/** `--to` (and optionally `--from`) against the config: the target must be reached by promotion from the source. */
export function promoteRoute(t: ProjectTargets, to: string, from?: string): PromoteRoute {
  const names = t.environments.map((e) => e.name);
  const promotable = t.environments.filter((e) => e.project.promoteFrom !== null).map((e) => `${e.name} (from ${e.project.promoteFrom})`);
  const target = t.environments.find((e) => e.name === to);
  if (!target) throw new UsageError(`--to ${to}: project ${t.project} has no environment ${JSON.stringify(to)} (it has ${names.join(', ')})`);
  if (target.project.promoteFrom === null)
    throw new UsageError(`--to ${to}: ${to} is fed by the deploy branches ${target.project.branches.join(', ') || '(none)'} of ${t.project}, not by promotion`, {
      hint: promotable.length ? `environments reached by promotion: ${promotable.join(', ')}` : `no environment of ${t.project} has promoteFrom`,
    });
  if (from !== undefined && from !== target.project.promoteFrom)
    throw new UsageError(`--from ${from}: ${to} is promoted from ${target.project.promoteFrom}, not from ${from}`, { hint: `leave --from out, or use --from ${target.project.promoteFrom}` });
  const source = t.environments.find((e) => e.name === target.project.promoteFrom);
  if (!source) throw new UsageError(`${to} is promoted from ${target.project.promoteFrom}, which project ${t.project} does not deploy to`);
  return { from: source.name, to, source, target };
}

/** What a promotion carries from the source: its image and the build facts on its labels. */
export interface SourceBuild {
  env: string;
  appId: string;
  /** The Marathon app version this comes from. */
  version: string;
  image: string;
  buildNumber: string | null;
  commit: string | null;
  branch: string | null;
  describe: string | null;
  buildUrl: string | null;
  /** Running in the source now (not only found in its version history). */
  running: boolean;
  /** Known to have run healthy there (false only with --allow-unverified). */
  verified: boolean;
}

const HEX_COMMIT = /^[0-9a-f]{7,64}$/;

export function sourceBuildOf(def: AppDefinition, env: string, version: string, running: boolean): SourceBuild {
  const labels = def.labels ?? {};
  const label = (k: string) => (typeof labels[k] === 'string' && labels[k] !== '' ? (labels[k] as string) : null);
  const image = def.container?.docker?.image ?? label(BUILD_LABELS.image) ?? '';
  const commit = label(BUILD_LABELS.commit);
  return {
    env,
    appId: def.id,
    version,
    image,
    buildNumber: label(BUILD_LABELS.buildNumber),
    // only a plain commit id reaches `git checkout` in the promote builder
    commit: commit && HEX_COMMIT.test(commit) ? commit : null,
    branch: label(BUILD_LABELS.branch),
    describe: label(BUILD_LABELS.describe),
    buildUrl: label(BUILD_LABELS.buildUrl),
    running,
    verified: true,
  };
}


/**
 * The source of a promotion: what runs healthy in the source app, or build N. Build N that runs
 * now must be healthy now; one that no longer runs must be among the builds known to have run
 * healthy there (knownGoodBuilds over `history`, the app's stored versions, newest first), or be
 * found in `history` at all with `allowUnverified`.
 */
export function pickSource(input: {
  env: string;
  appId: string;
  app: AppInfo | null;
  build?: string | undefined;
  history?: { version: string; definition: AppDefinition }[] | undefined;
  allowUnverified?: boolean | undefined;
}): SourceBuild {
  const { env, appId, app, build } = input;
  if (!app) throw new OperationFailedError(`nothing runs in ${env}: ${appId} does not exist there, so there is nothing to promote`);
  const current = sourceBuildOf(app, env, app.version, true);
  if (build === undefined || build === '' || current.buildNumber === build) {
    const why = unhealthyReason(app);
    if (why) throw new OperationFailedError(`${appId} in ${env} is not healthy, so it is not promoted: ${why}`, { hint: `see \`bbm status --app-id ${appId}\` against ${env}` });
    if (!current.image) throw new OperationFailedError(`${appId} in ${env} runs no Docker image; there is nothing to promote`);
    return current;
  }
  const history = input.history ?? [];
  const good = knownGoodBuilds(
    app,
    history.map((h) => ({ version: h.version, image: h.definition.container?.docker?.image ?? null, labels: h.definition.labels })),
  );
  const known = describeKnownGood(good);
  const hit = good.find((g) => g.build === build);
  const found = hit && history.find((h) => h.version === hit.version);
  if (found) {
    const s = sourceBuildOf(found.definition, env, found.version, false);
    if (s.image) return s;
  }
  const ran = history.find((h) => sourceBuildOf(h.definition, env, h.version, false).buildNumber === build && h.definition.container?.docker?.image);
  if (ran && input.allowUnverified) return { ...sourceBuildOf(ran.definition, env, ran.version, false), verified: false };
  if (ran)
    throw new OperationFailedError(
      `build ${build} is among the versions of ${appId} in ${env} (version ${ran.version}), but nothing records that it ran there healthy, so it is not promoted` +
        ` (bbm records a build as healthy when the next deploy replaces it while every instance is healthy; it may have failed its health checks and been rolled back, been replaced before it became healthy, or never started)`,
      { hint: `builds known to have run healthy in ${env}: ${known}; promote one of those with --build N, or add --allow-unverified to promote build ${build} all the same` },
    );
  throw new OperationFailedError(`build ${build} did not run in ${env} (${appId}${current.buildNumber ? ` runs build ${current.buildNumber}` : ''}); only what ran healthy in ${env} is promoted`, {
    hint: `builds known to have run healthy in ${env}: ${known}; or deploy build ${build} to ${env} first`,
  });
}

/** The target already runs this exact image (by digest) with every instance healthy. */
export function alreadyThere(target: AppInfo | null, pinned: string): boolean {
  if (!target || target.container?.docker?.image !== pinned) return false;
  return unhealthyReason(target) === null;
}

/** Facts and labels of the deploy into the target: the source build's, the pinned image, the target env. */
export function promotionFacts(source: SourceBuild, pinned: string, project: string, to: string, promotionUrl?: string): { facts: BuildFacts; labels: Record<string, string> } {
  const tag = source.image.includes('@') ? undefined : parseImageReference(source.image, 'image').tag;
  const facts: BuildFacts = { image: pinned, project, env: to };
  if (tag) facts.tag = tag;
  if (source.buildNumber) facts.buildNumber = source.buildNumber;
  if (source.commit) facts.commit = source.commit;
  if (source.branch) facts.branch = source.branch;
  if (source.describe) facts.describe = source.describe;
  if (source.buildUrl) facts.buildUrl = source.buildUrl;
  const labels: Record<string, string> = { [BUILD_LABELS.promotedFrom]: source.env, [BUILD_LABELS.promotedFromVersion]: source.version };
  if (promotionUrl) labels[BUILD_LABELS.promotionUrl] = promotionUrl;
  if (!source.verified) labels[BUILD_LABELS.promotedUnverified] = 'true';
  return { facts, labels };
}
