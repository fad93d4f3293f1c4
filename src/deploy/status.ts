/** `bbm status`: versions, instances, health and running deployments of one app. */
import { UsageError } from '../errors.js';
import { untilStopped } from '../stopping.js';
import type { RunContext } from '../context.js';
import { normalizeAppId } from '../marathon/app-id.js';
import { isTaskHealthy } from '../marathon/task-health.js';
import type { AppInfo, Deployment } from '../marathon/types.js';
import { makeClient, type MarathonConnection } from '../marathon/connection.js';
import { countVersion } from './follow.js';
import { stripControl } from '../reporter.js';
import { versionHistory } from './rollback.js';
import { describeBuild, rollbackCandidates, versionFacts, type VersionFacts } from './rollback-target.js';

export interface AppStatus {
  id: string;
  version: string;
  lastConfigChangeAt: string | null;
  image: string | null;
  instances: number;
  counts: { running: number; healthy: number; unhealthy: number; staged: number };
  labels: Record<string, string>;
  tasks: { id: string; host: string; ports: number[]; state: string; version: string; healthy: boolean | null; startedAt: string | null }[];
  versions: string[];
  deployments: { id: string; version: string; currentStep: number; totalSteps: number; actions: string[] }[];
  lastTaskFailure: { state?: string; message?: string; timestamp?: string; version?: string } | null;
  /** Where `bbm rollback` would go, best first (the first is its default): build number, image, commit, version. */
  rollbackCandidates: VersionFacts[];
}

/** Pure: what `bbm status` shows, from Marathon's answers. */
export function buildStatus(app: AppInfo, versions: string[], deployments: Deployment[], candidates: VersionFacts[] = []): AppStatus {
  const checks = (app.healthChecks ?? []).length;
  const c = countVersion(app, app.version);
  const tasks = (app.tasks ?? []).map((t) => ({
    id: t.id,
    host: t.host,
    ports: t.ports ?? [],
    state: t.state,
    version: t.version,
    healthy: checks === 0 ? null : isTaskHealthy(app, t),
    startedAt: t.startedAt ?? null,
  }));
  return {
    id: app.id,
    version: app.version,
    lastConfigChangeAt: app.versionInfo?.lastConfigChangeAt ?? null,
    image: app.container?.docker?.image ?? null,
    instances: app.instances ?? 0,
    counts: {
      running: app.tasksRunning ?? tasks.filter((t) => t.state === 'TASK_RUNNING').length,
      healthy: app.tasksHealthy ?? c.healthy,
      unhealthy: app.tasksUnhealthy ?? tasks.filter((t) => t.healthy === false).length,
      staged: app.tasksStaged ?? tasks.filter((t) => t.state === 'TASK_STAGING').length,
    },
    labels: Object.fromEntries(Object.entries(app.labels ?? {}).filter(([, v]) => typeof v === 'string')),
    tasks,
    versions,
    deployments: deployments
      .filter((d) => (d.affectedApps ?? []).includes(app.id))
      .map((d) => ({
        id: d.id,
        version: d.version,
        currentStep: d.currentStep,
        totalSteps: d.totalSteps,
        actions: (d.currentActions ?? []).map((a) => `${a.action} ${a.app ?? ''}`.trim()),
      })),
    lastTaskFailure: (app.lastTaskFailure as AppStatus['lastTaskFailure']) ?? null,
    rollbackCandidates: candidates,
  };
}

/** Plain text, one fact per line, for a terminal or a Buildbot log. */
export function formatStatus(s: AppStatus): string[] {
  const lines = [
    `app ${s.id}`,
    `  version ${s.version}${s.lastConfigChangeAt && s.lastConfigChangeAt !== s.version ? ` (configuration of ${s.lastConfigChangeAt})` : ''}`,
    `  image ${s.image ?? '(none)'}`,
    `  instances ${s.instances}: ${s.counts.running} running, ${s.counts.healthy} healthy, ${s.counts.unhealthy} unhealthy, ${s.counts.staged} staged`,
  ];
  const build = ['bbm.project', 'bbm.build-number', 'bbm.branch', 'bbm.commit', 'bbm.describe', 'bbm.build-url'].filter((k) => s.labels[k]);
  if (build.length) lines.push(`  build ${build.map((k) => `${k.slice(4)}=${s.labels[k]}`).join(' ')}`);
  lines.push(`  tasks${s.tasks.length ? '' : ' (none)'}`);
  for (const t of s.tasks)
    lines.push(`    ${t.id} ${t.host}:${t.ports.join(',')} ${t.state} version ${t.version}${t.version === s.version ? '' : ' (old)'} ${t.healthy === null ? 'no health checks' : t.healthy ? 'healthy' : 'unhealthy'}`);
  lines.push(`  deployments${s.deployments.length ? '' : ' (none running)'}`);
  for (const d of s.deployments) lines.push(`    ${d.id} version ${d.version} step ${d.currentStep} of ${d.totalSteps}${d.actions.length ? `: ${d.actions.join(', ')}` : ''}`);
  lines.push(`  versions (${s.versions.length}, newest last)`);
  for (const v of s.versions.slice(-10)) lines.push(`    ${v}${v === (s.lastConfigChangeAt ?? s.version) ? '  ← current configuration' : ''}`);
  lines.push(`  rollback candidates${s.rollbackCandidates.length ? ' (bbm rollback takes the first)' : ' (none: no earlier build with bbm labels)'}`);
  for (const c of s.rollbackCandidates) lines.push(`    ${describeBuild(c)}`);
  if (s.lastTaskFailure?.message) lines.push(`  last task failure ${s.lastTaskFailure.timestamp ?? ''} ${s.lastTaskFailure.state ?? ''}: ${s.lastTaskFailure.message}`);
  // values come from Marathon: one line each, no terminal control sequences
  return lines.map((l) => stripControl(l).replace(/[\r\n]+/g, ' '));
}

export async function runStatus(opts: { appId: string; json: boolean; marathon: MarathonConnection; timeoutSeconds?: number }, ctx: RunContext): Promise<AppStatus> {
  const appId = normalizeAppId(opts.appId, '--app-id');
  const client = await makeClient(opts.marathon, ctx, { deadline: Date.now() + (opts.timeoutSeconds ?? 60) * 1000 });
  try {
    // every read first, then the whole answer at once: a stop prints nothing (status changes nothing)
    const status = await untilStopped(ctx.signal, () => `nothing printed; bbm status only reads ${appId} from ${client.url}, nothing was changed`, async () => {
      const app = await client.getApp(appId);
      if (!app) throw new UsageError(`${appId} does not exist on ${client.url}`, { hint: 'check the id; Marathon ids are lowercase' });
      const [versions, deployments] = await Promise.all([client.getVersions(appId), client.getDeployments()]);
      const candidates = rollbackCandidates(await versionHistory(client, appId, versions), versionFacts(app.version, app.labels));
      return buildStatus(app, versions, deployments, candidates);
    });
    if (opts.json) ctx.stdout(JSON.stringify(status, null, 2));
    else for (const l of formatStatus(status)) ctx.stdout(l);
    return status;
  } finally {
    await client.close();
  }
}
