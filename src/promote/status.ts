/**
 * `bbm status --project P`: per environment, what runs there — build, image digest, commit,
 * healthy/total, endpoints, since when, promoted from where. One Marathon call per environment
 * (GET /v2/apps/{id}, which embeds the tasks and deployments); digests of tag references are asked
 * of the registry.
 */
import type { RunContext } from '../context.js';
import { BbmError } from '../errors.js';
import { untilStopped } from '../stopping.js';
import type { ProjectTargets } from '../config/targets.js';
import { BUILD_LABELS } from '../deploy/plan.js';
import { countVersion } from '../deploy/follow.js';
import { isTaskHealthy } from '../marathon/task-health.js';
import { findCredentials } from '../docker/credentials.js';
import type { AppInfo } from '../marathon/types.js';
import { resolveImageDigest } from '../registry/manifest.js';
import { stripControl } from '../reporter.js';
import { clientForTarget, loadProjectTargets, type TargetSourceOptions } from './targets-source.js';

export interface EnvironmentStatus {
  environment: string;
  marathon: string;
  appId: string;
  /** False when the app does not exist there (never deployed), or `error` says why it is unknown. */
  exists: boolean;
  error: string | null;
  build: string | null;
  buildUrl: string | null;
  commit: string | null;
  image: string | null;
  digest: string | null;
  promotedFrom: string | null;
  healthy: number;
  instances: number;
  /** host:port of running tasks of the current version (the first port of each). */
  endpoints: { host: string; port: number; healthy: boolean }[];
  /** When the running configuration was deployed (Marathon's lastConfigChangeAt). */
  since: string | null;
  deploying: boolean;
}

/** Pure: one environment's row from Marathon's app (null: not deployed there). */
export function environmentStatus(env: { name: string; url: string; appId: string }, app: AppInfo | null, digest: string | null): EnvironmentStatus {
  const base = { environment: env.name, marathon: env.url, appId: env.appId };
  if (!app)
    return { ...base, exists: false, error: null, build: null, buildUrl: null, commit: null, image: null, digest: null, promotedFrom: null, healthy: 0, instances: 0, endpoints: [], since: null, deploying: false };
  const label = (k: string) => (typeof app.labels?.[k] === 'string' && app.labels[k] !== '' ? app.labels[k] : null);
  const image = app.container?.docker?.image ?? null;
  const c = countVersion(app, app.version);
  const endpoints = (app.tasks ?? [])
    .filter((t) => t.state === 'TASK_RUNNING' && typeof t.ports?.[0] === 'number')
    .map((t) => ({ host: t.host, port: t.ports?.[0] as number, healthy: isTaskHealthy(app, t) }))
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port));
  return {
    ...base,
    exists: true,
    error: null,
    build: label(BUILD_LABELS.buildNumber),
    buildUrl: label(BUILD_LABELS.buildUrl),
    commit: label(BUILD_LABELS.commit),
    image,
    digest: digest ?? (image?.includes('@') ? (image.split('@')[1] ?? null) : null),
    promotedFrom: label(BUILD_LABELS.promotedFrom),
    healthy: c.healthy,
    instances: c.instances,
    endpoints,
    since: app.versionInfo?.lastConfigChangeAt ?? app.version,
    deploying: (app.deployments ?? []).length > 0,
  };
}

export function formatProjectStatus(project: string, rows: EnvironmentStatus[]): string[] {
  const lines = [`project ${project}`];
  for (const r of rows) {
    lines.push(`  ${r.environment}  ${r.appId} on ${r.marathon}`);
    if (r.error) lines.push(`    unknown: ${r.error}`);
    else if (!r.exists) lines.push('    not deployed');
    else {
      lines.push(`    build ${r.build ?? '?'}${r.commit ? `  commit ${r.commit.slice(0, 12)}` : ''}${r.promotedFrom ? `  promoted from ${r.promotedFrom}` : ''}${r.buildUrl ? `  ${r.buildUrl}` : ''}`);
      lines.push(`    image ${r.image ?? '(none)'}`);
      lines.push(`    digest ${r.digest ?? '(unknown)'}`);
      lines.push(`    healthy ${r.healthy}/${r.instances}${r.deploying ? '  (a deployment is running)' : ''}  since ${r.since ?? '?'}`);
      lines.push(`    endpoints ${r.endpoints.map((e) => `${e.host}:${e.port}${e.healthy ? '' : ' (unhealthy)'}`).join(' ') || '(none)'}`);
    }
  }
  return lines.map((l) => stripControl(l).replace(/[\r\n]+/g, ' '));
}

export async function runProjectStatus(opts: TargetSourceOptions & { project: string; json: boolean; caFile?: string | undefined; timeoutSeconds?: number }, ctx: RunContext): Promise<EnvironmentStatus[]> {
  const deadline = Date.now() + (opts.timeoutSeconds ?? 60) * 1000;
  // every environment is read first, then the table is printed whole: a stop prints nothing
  const rows = await untilStopped(ctx.signal, () => `nothing printed; bbm status only reads, nothing was changed`, async () => {
  const t: ProjectTargets = await loadProjectTargets(opts.project, opts, ctx);
  return Promise.all(
    t.environments.map(async (e) => {
      const env = { name: e.name, url: e.target.url, appId: e.project.appId };
      const client = await clientForTarget(e.target, { ...ctx, reporter: quiet(ctx) }, deadline, opts.caFile);
      try {
        const app = await client.getApp(e.project.appId);
        const image = app?.container?.docker?.image;
        const digest = image && !image.includes('@') ? await tagDigest(image, ctx, deadline) : null;
        return environmentStatus(env, app, digest);
      } catch (error) {
        if (!(error instanceof BbmError)) throw error;
        return { ...environmentStatus(env, null, null), error: error.message.split('\n')[0] ?? 'unreachable' };
      } finally {
        await client.close();
      }
    }),
  );
  });
  if (opts.json) ctx.stdout(JSON.stringify({ project: opts.project, environments: rows }, null, 2));
  else for (const l of formatProjectStatus(opts.project, rows)) ctx.stdout(l);
  return rows;
}

/** The registry's digest for a tag; null when the registry cannot say (status still shows the rest). */
async function tagDigest(image: string, ctx: RunContext, deadline: number): Promise<string | null> {
  try {
    const registry = /^([^/]+)\//.exec(image)?.[1];
    const found = await findCredentials({ registry, env: ctx.env, cwd: ctx.cwd });
    return (await resolveImageDigest(image, { auth: found?.auth, authSource: found?.source, signal: ctx.signal, deadline: Math.min(deadline, Date.now() + 10_000) })).digest;
  } catch (error) {
    if (error instanceof BbmError) {
      ctx.reporter.warn(`digest of ${image}: ${error.message.split('\n')[0]}`);
      return null;
    }
    throw error;
  }
}

/** Status prints facts on stdout; the per-environment "Marathon: …" connection lines stay out of it. */
function quiet(ctx: RunContext): RunContext['reporter'] {
  return { info: () => {}, warn: (l) => ctx.reporter.warn(l), raw: (l) => ctx.reporter.raw(l) };
}
