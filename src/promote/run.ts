/**
 * `bbm promote`: what runs healthy in the source environment (or build N there) → its registry
 * digest → `repository@sha256:…` deployed to the target through the same plan and executor as
 * `bbm deploy` (verdict, lock waiting, rollback). Decisions are in plan.ts; this file only reads
 * Marathon and the registry and hands over.
 */
import type { RunContext } from '../context.js';
import { OperationFailedError, UsageError, ValidationError } from '../errors.js';
import { findCredentials } from '../docker/credentials.js';
import { readAppFile } from '../deploy/run.js';
import { BUILD_LABELS, planDeploy } from '../deploy/plan.js';
import { executeDeploy, type FollowMode } from '../deploy/execute.js';
import { formatFindings } from '../deploy/lint.js';
import type { MarathonClient } from '../marathon/client.js';
import type { AppDefinition } from '../marathon/types.js';
import { resolveImageDigest } from '../registry/manifest.js';
import { alreadyThere, pickSource, promoteRoute, promotionFacts, type SourceBuild } from './plan.js';
import { healthRecordOf } from './source-health.js';
import { clientForTarget, loadProjectTargets } from './targets-source.js';

export interface PromoteOptions {
  project: string;
  to: string;
  from?: string | undefined;
  build?: string | undefined;
  /** Promote build N even when nothing records that it ran healthy in the source. */
  allowUnverified?: boolean | undefined;
  targets?: string | undefined;
  config?: string | undefined;
  /** App definition template; default: the project's `deploy.app`, relative to the working directory. */
  app?: string | undefined;
  /** Promote only if the source still runs this image (the promote builder pins what it checked out). */
  image?: string | undefined;
  /** Print what would be promoted (JSON) and stop. */
  resolveOnly: boolean;
  promotionUrl?: string | undefined;
  registryCredentialsFile?: string | undefined;
  timeoutSeconds: number;
  force: boolean;
  rollback: boolean;
  follow: FollowMode;
  caFile?: string | undefined;
}

/** How many stored versions of the source are searched for `--build N`. */
const HISTORY_LIMIT = 30;

export async function runPromote(opts: PromoteOptions, ctx: RunContext): Promise<void> {
  const targets = await loadProjectTargets(opts.project, opts, ctx);
  const route = promoteRoute(targets, opts.to, opts.from);
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  const sourceClient = await clientForTarget(route.source.target, ctx, deadline, opts.caFile);
  let targetClient: MarathonClient | undefined;
  try {
    // 1. the source: healthy now, or build N in its history
    const sourceId = route.source.project.appId;
    const app = await sourceClient.getApp(sourceId);
    let history: { version: string; definition: AppDefinition }[] | undefined;
    if (opts.build && app && app.labels?.[BUILD_LABELS.buildNumber] !== opts.build) {
      // newest first: a record names an older version, so it is read before the version it names
      const versions = (await sourceClient.getVersions(sourceId)).reverse().slice(0, HISTORY_LIMIT);
      const records = new Set([healthRecordOf(app.labels)]);
      history = [];
      for (const version of versions) {
        const definition = await sourceClient.getVersion(sourceId, version);
        history.push({ version, definition });
        records.add(healthRecordOf(definition.labels));
        // the newest version of build N recorded healthy: enough (without one, all are read to name the good builds)
        if (definition.labels?.[BUILD_LABELS.buildNumber] === opts.build && records.has(version)) break;
      }
    }
    const source = pickSource({ env: route.from, appId: sourceId, app, build: opts.build, history, allowUnverified: opts.allowUnverified });
    if (!source.verified)
      ctx.reporter.warn(`build ${source.buildNumber} is promoted without a record that it ran healthy in ${route.from} (--allow-unverified); the target gets label ${BUILD_LABELS.promotedUnverified}=true`);
    if (opts.image && opts.image !== source.image)
      throw new OperationFailedError(`${sourceId} in ${route.from} changed since this promotion started: it runs ${source.image}, not ${opts.image}`, {
        hint: 'force the promotion again to promote what runs there now',
      });
    ctx.reporter.info(`${route.from}: ${sourceId} runs ${source.image}${source.buildNumber ? ` (build ${source.buildNumber}` : ' ('}${source.commit ? ` ${source.commit.slice(0, 12)}` : ''}), version ${source.version}${source.running ? ', all instances healthy' : source.verified ? ', not running now, ran healthy there' : ', not running now'}`);

    // 2. the digest the registry stores for it
    const resolved = await resolveDigest(source, opts, ctx, deadline);
    ctx.reporter.info(`registry: ${source.image} is ${resolved}`);

    // 3. the target
    targetClient = await clientForTarget(route.target.target, ctx, deadline, opts.caFile);
    const targetId = route.target.project.appId;
    const current = await targetClient.getApp(targetId);
    if (opts.resolveOnly) {
      ctx.stdout(JSON.stringify({ from: route.from, to: route.to, appId: targetId, image: source.image, pinned: resolved, commit: source.commit, buildNumber: source.buildNumber, buildUrl: source.buildUrl, version: source.version, verified: source.verified, alreadyThere: alreadyThere(current, resolved) }));
      return;
    }
    if (alreadyThere(current, resolved)) {
      ctx.reporter.info(`${route.to}: ${targetId} already runs ${resolved} with every instance healthy; already there, nothing to do`);
      ctx.stdout(`${targetId} ${current?.version ?? ''}`.trim());
      return;
    }

    // 4. the template, filled for the target, deployed as bbm deploy does
    const template = await readAppFile(opts.app ?? targets.app, ctx.cwd);
    const { facts, labels } = promotionFacts(source, resolved, opts.project, route.to, opts.promotionUrl);
    const pe = route.target.project;
    const plan = planDeploy({
      template: template.value,
      facts,
      options: { force: opts.force, strict: false, keepInstances: false, rollback: opts.rollback, timeoutSeconds: opts.timeoutSeconds },
      overrides: {
        appId: pe.appId,
        ...(pe.instances !== null ? { instances: pe.instances } : {}),
        ...(pe.cpus !== null ? { cpus: pe.cpus } : {}),
        ...(pe.mem !== null ? { mem: pe.mem } : {}),
        ...(pe.disk !== null ? { disk: pe.disk } : {}),
        labels: pe.labels,
      },
      extraLabels: labels,
    });
    for (const line of formatFindings(plan.findings, template.where)) ctx.reporter.info(line);
    for (const note of plan.notes) ctx.reporter.info(note);
    if (plan.blocking.length)
      throw new ValidationError(`${template.file}: not promoted`, plan.blocking.map((p) => ({ path: p.path.startsWith('/') ? `${template.where(p.path)} ${p.path}` : p.path, message: p.message })), { hint: 'fix the problems above' });
    ctx.reporter.info(`promoting ${resolved} from ${route.from} to ${route.to} (${targetId} on ${targetClient.url})`);
    const result = await executeDeploy(plan, { client: targetClient, reporter: ctx.reporter, deadline, follow: opts.follow, signal: ctx.signal, waits: ctx.waits, ...(plan.appId === targetId ? { current } : {}) });
    ctx.reporter.info(`${route.to}: ${targetId} runs ${resolved}, promoted from ${route.from}`);
    ctx.stdout(`${result.appId} ${result.version}`);
  } finally {
    await sourceClient.close();
    await targetClient?.close();
  }
}

async function resolveDigest(source: SourceBuild, opts: PromoteOptions, ctx: RunContext, deadline: number): Promise<string> {
  const registry = /^([^/]+)\//.exec(source.image)?.[1];
  if (!registry) throw new UsageError(`${source.image} names no registry host; bbm promotes images from a registry`);
  const found = await findCredentials({ registry, credentialsFile: opts.registryCredentialsFile, env: ctx.env, cwd: ctx.cwd });
  const r = await resolveImageDigest(source.image, { auth: found?.auth, authSource: found?.source, signal: ctx.signal, deadline: Math.min(deadline, Date.now() + 60_000) });
  return r.pinned;
}
