/**
 * Performs a DeployPlan: subscribe, PUT, follow, confirm, and on failure cancel so Marathon rolls
 * back. Everything it decides from is in the plan; everything it does goes through the client.
 */
import { stopReason } from '../stopping.js';
import { OperationFailedError } from '../errors.js';
import type { MarathonClient } from '../marathon/client.js';
import { marathonHttpError } from '../marathon/http-error.js';
import type { AppInfo, MarathonEvent } from '../marathon/types.js';
import type { Reporter } from '../reporter.js';
import { sleep } from '../sleep.js';
import { waitOn, type WaitClock } from '../timing.js';
import { EventHub } from './event-hub.js';
import { countVersion, MARATHON_WAITS, Progress, touchesApp, waitForDeployment, type DeploymentOutcome } from './follow.js';
import type { DeployPlan } from './plan.js';
import { withHealthRecord } from '../promote/source-health.js';

export type FollowMode = 'auto' | 'events' | 'poll';

export interface ExecuteOptions {
  client: MarathonClient;
  reporter: Reporter;
  /** ms since the epoch; the whole deploy (waiting for locks included) must end before it. */
  deadline: number;
  /** After a timeout, how long the cancel and Marathon's rollback may take (default: the deploy's timeout, at least 120 s). */
  rollbackTimeoutMs?: number;
  /** `poll` skips the event stream (the benchmark's baseline, and for proxies that break SSE). */
  follow?: FollowMode;
  signal?: AbortSignal;
  /** How long a "success" may take to show in the app's tasks (default 20 s). */
  confirmTimeoutMs?: number;
  /** Counts the time Marathon takes (rollout, another deployment's lock, rollback): src/timing.ts. */
  waits?: WaitClock;
  /**
   * The app as the caller has just read it (null: not there). The first PUT records its health from
   * it instead of reading the app again; after waiting out another deployment it is read anew.
   */
  current?: AppInfo | null | undefined;
}

export interface DeployResult {
  appId: string;
  deploymentId: string;
  version: string;
  created: boolean;
  /** Whether the deployment was followed by events or by polling. */
  followedBy: 'events' | 'polling';
}

const EVENT_TYPES = [
  'deployment_success',
  'deployment_failed',
  'deployment_step_success',
  'deployment_step_failure',
  'status_update_event',
  'health_status_changed_event',
  'instance_health_changed_event',
  'failed_health_check_event',
  'unhealthy_instance_kill_event',
];

export async function executeDeploy(plan: DeployPlan, opts: ExecuteOptions): Promise<DeployResult> {
  const { client, reporter, deadline } = opts;
  const appId = plan.appId;
  const failures: string[] = [];
  let hub: EventHub | undefined;
  if (opts.follow !== 'poll') {
    hub = new EventHub({ client, reporter, eventTypes: EVENT_TYPES, openTimeoutMs: openBudget(deadline) });
    const ok = await hub.start();
    if (ok) reporter.info(`subscribed to ${client.url}/v2/events`);
  } else reporter.info('following the deployment by polling /v2/deployments once a second (--follow poll)');
  const progress = new Progress(client, reporter, appId, '');
  hub?.onEvent((e) => {
    noteFailure(e, appId, failures);
    if (touchesApp(e, appId)) void progress.refresh();
  });

  let sentDeployment: string | undefined;
  let putSent = false;
  try {
    return await deploySteps();
  } catch (error) {
    if (!opts.signal?.aborted || error instanceof OperationFailedError) throw error;
    // SIGINT/SIGTERM (a stopped build): the run ends as stopped, saying what is left behind
    throw stopReason(
      opts.signal,
      sentDeployment
        ? `deployment ${sentDeployment} of ${appId} keeps running in Marathon; see \`bbm status --app-id ${appId}\`, cancel it with DELETE ${client.url}/v2/deployments/${sentDeployment}`
        : putSent
          ? `the definition of ${appId} was on its way and Marathon did not answer; it may have started a deployment (see \`bbm status --app-id ${appId}\`)`
          : `nothing was deployed: ${appId} was not sent to Marathon`,
    );
  } finally {
    await hub?.close();
  }

  async function deploySteps(): Promise<DeployResult> {
    // 1. PUT, waiting out other deployments that hold the app (409) within the deadline
    let put: Awaited<ReturnType<MarathonClient['putApp']>>;
    let known = opts.current;
    for (;;) {
      try {
        // what runs now, seen healthy, is recorded on the definition that replaces it (src/promote/source-health.ts)
        const running = known !== undefined ? known : await client.getApp(appId);
        known = undefined;
        const definition = withHealthRecord(plan.definition, running);
        putSent = true;
        put = await client.putApp(definition, { force: plan.options.force, partialUpdate: false });
        break;
      } catch (error) {
        const http = marathonHttpError(error);
        if (http?.status !== 409 || !http.body.deployments?.length) throw error;
        const ids = http.body.deployments.map((d) => d.id);
        const left = Math.round((deadline - Date.now()) / 1000);
        if (left <= 0) throw error;
        reporter.info(`${appId} is locked by deployment ${ids.join(', ')}; waiting for it to finish (up to ${left} s more; --force would cancel it)`);
        for (const id of ids) {
          const outcome = await waitOn(opts.waits, MARATHON_WAITS.lock, () => waitForDeployment({ client, hub, deploymentId: id, deadline, signal: opts.signal }));
          if (outcome.kind === 'timeout')
            throw new OperationFailedError(`${appId} stayed locked by deployment ${id} until the timeout; nothing was deployed`, {
              hint: `check it with \`bbm status --app-id ${appId}\`; rerun with a longer --timeout, or with --force to cancel it`,
            });
        }
        reporter.info(`deployment ${ids.join(', ')} finished; sending the definition again`);
      }
    }
    sentDeployment = put.deploymentId;
    const created = put.status === 201;
    reporter.info(`${created ? 'created' : 'updated'} ${appId}: deployment ${put.deploymentId}, version ${put.version}`);
    progress.setVersion(put.version);
    void progress.refresh(true);

    // 2. follow it
    let followed = { deploymentId: put.deploymentId, version: put.version };
    /** The app as read right after the deployment ended: the health gate's first look (one GET, not two). */
    let firstRead: AppInfo | undefined;
    const rollout = (deploymentId: string) =>
      waitOn(opts.waits, MARATHON_WAITS.rollout, () => waitForDeployment({ client, hub, deploymentId, deadline, signal: opts.signal, onPoll: () => progress.refresh() }));
    let outcome = await rollout(put.deploymentId);
    const followedBy: DeployResult['followedBy'] = outcome.kind !== 'timeout' && outcome.via === 'event' ? 'events' : 'polling';

    if (outcome.kind === 'success' || outcome.kind === 'gone') {
      // An unchanged definition (or a retried PUT that had already landed) gets a deployment with no
      // steps and a new version string, but the app keeps its version: mesosphere/marathon
      // api/v2/AppHelpers.scala (updateOrCreate keeps the current versionInfo) and
      // upgrade/GroupVersioningUtil.scala (an app that is neither upgraded nor scaled keeps it).
      // The root is stored before the PUT answers (core/group/impl/GroupManagerImpl.scala), so
      // the app read now already shows whether this PUT changed it.
      const now = await client.getApp(appId);
      firstRead = now ?? undefined;
      if (now && isOlder(now.version, put.version)) {
        reporter.info(`${appId} already runs this definition (version ${now.version}); Marathon's deployment ${put.deploymentId} had nothing to change`);
        progress.setVersion(now.version);
        followed = { deploymentId: put.deploymentId, version: now.version };
        // a PUT retried after a 502/503/504 may have landed the first time: its deployment can still run
        for (const d of (now.deployments ?? []).filter((x) => x.id !== put.deploymentId)) {
          reporter.info(`${appId}: waiting for deployment ${d.id}, which brings version ${now.version}`);
          followed = { deploymentId: d.id, version: now.version };
          firstRead = undefined;
          outcome = await rollout(d.id);
          if (outcome.kind === 'timeout' || outcome.kind === 'failed') break;
        }
      }
    }

    if (outcome.kind === 'success' || outcome.kind === 'gone') {
      // 3. a green build means the new version serves: every instance on it, running and healthy
      const app = await confirm(client, appId, followed.version, Math.min(deadline, Date.now() + (opts.confirmTimeoutMs ?? 20_000)), firstRead, (ms) =>
        waitOn(opts.waits, MARATHON_WAITS.rollout, () => sleep(ms, opts.signal)),
      );
      const c = countVersion(app.app, followed.version);
      if (!app.ok && outcome.kind === 'success' && Date.parse(app.app.version) > Date.parse(followed.version)) {
        // Marathon reported our deployment done; a newer one (another build) has replaced it since.
        reporter.info(`deployment ${followed.deploymentId} succeeded (deployment_success); ${appId} has since moved on to version ${app.app.version}`);
        return { appId, deploymentId: put.deploymentId, version: followed.version, created, followedBy };
      }
      if (app.ok) {
        reporter.info(`${appId}: all ${c.instances} instances run version ${followed.version} and are healthy`);
        reporter.info(`deployment ${put.deploymentId} succeeded (${outcome.kind === 'success' ? 'deployment_success' : 'finished'}, followed by ${followedBy})`);
        return { appId, deploymentId: put.deploymentId, version: followed.version, created, followedBy };
      }
      if (outcome.kind === 'gone' && app.app.version !== followed.version)
        throw new OperationFailedError(summary(appId, followed, 'the deployment ended but the app no longer runs the new version (it was cancelled or replaced by someone else)', app.app, failures), {
          hint: `see \`bbm status --app-id ${appId}\``,
        });
      throw new OperationFailedError(
        summary(appId, followed, `Marathon finished the deployment but only ${c.healthy} of ${c.instances} instances of the new version are healthy (${c.old} of older versions)`, app.app, failures),
        { hint: `see \`bbm status --app-id ${appId}\`` },
      );
    }
    if (outcome.kind === 'failed') {
      const app = await client.getApp(appId).catch(() => null);
      throw new OperationFailedError(summary(appId, followed, `deployment ${followed.deploymentId} failed${outcome.reason ? `: ${outcome.reason}` : ''}`, app, failures), {
        hint: 'another client (or --force from another deploy) cancelled or replaced it; Marathon rolled it back',
      });
    }

    // 4. timeout: cancel so Marathon rolls back, unless told not to
    const why = `the deployment did not finish within ${plan.options.timeoutSeconds} s`;
    if (!plan.options.rollback) {
      const app = await client.getApp(appId).catch(() => null);
      throw new OperationFailedError(`${summary(appId, followed, why, app, failures)}\n  the deployment is left running (--no-rollback)`, {
        hint: `cancel it with: curl -X DELETE ${client.url}/v2/deployments/${followed.deploymentId}  (or rerun bbm deploy with --force)`,
      });
    }
    reporter.warn(`${why}; cancelling deployment ${followed.deploymentId} so Marathon rolls back`);
    // Marathon's rollback replaces every task, healthy old ones included (TaskReplaceActor): it may
    // take as long as a deployment, so it gets the deploy's own budget (at least 120 s).
    const rollbackMs = opts.rollbackTimeoutMs ?? Math.max(120_000, plan.options.timeoutSeconds * 1000);
    const rollbackDeadline = Date.now() + rollbackMs;
    client.setDeadline(rollbackDeadline);
    const rollback = await client.cancelDeployment(followed.deploymentId);
    let rolledBack = 'the deployment had already ended when it was cancelled';
    if (rollback) {
      reporter.info(`rollback deployment ${rollback.deploymentId} started`);
      const r: DeploymentOutcome = await waitOn(opts.waits, MARATHON_WAITS.rollback, () =>
        waitForDeployment({ client, hub, deploymentId: rollback.deploymentId, deadline: rollbackDeadline, signal: opts.signal, onPoll: () => progress.refresh() }),
      );
      rolledBack =
        r.kind === 'timeout'
          ? `the rollback deployment ${rollback.deploymentId} did not finish within ${Math.round(rollbackMs / 1000)} s`
          : r.kind === 'failed'
            ? `the rollback deployment ${rollback.deploymentId} failed`
            : `rolled back (deployment ${rollback.deploymentId} finished)`;
    }
    const app = await client.getApp(appId).catch(() => null);
    throw new OperationFailedError(`${summary(appId, followed, why, app, failures)}\n  ${rolledBack}`, {
      hint: `the old version keeps serving; see \`bbm status --app-id ${appId}\` and the task failures above, then fix and rebuild`,
    });
  }
}

/**
 * How long the deploy waits for the event stream before it sends anyway (and polls until the
 * stream opens): 10 s, but never more than a quarter of the time left, so a stream that is slow to
 * answer (a proxy that holds the headers until the first event) cannot eat the deploy's --timeout.
 */
function openBudget(deadline: number): number {
  return Math.max(0, Math.min(10_000, (deadline - Date.now()) / 4));
}

/** Whether version timestamp `a` is strictly older than `b` (both ISO-8601, as Marathon writes them). */
function isOlder(a: string, b: string): boolean {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return !Number.isNaN(ta) && !Number.isNaN(tb) && ta < tb;
}

/**
 * Waits until every instance runs `version` and is healthy, or the deadline passes. The pauses
 * between reads wait for Marathon (old tasks still being killed): `pause` counts them as the rollout's.
 */
async function confirm(
  client: MarathonClient,
  appId: string,
  version: string,
  deadline: number,
  first: AppInfo | undefined,
  pauseFor: (ms: number) => Promise<void>,
): Promise<{ ok: boolean; app: AppInfo }> {
  const start = Date.now();
  for (let read = first; ; read = undefined) {
    const app = read ?? (await client.getApp(appId));
    if (!app) throw new OperationFailedError(`${appId} vanished from Marathon right after its deployment`);
    const c = countVersion(app, version);
    if (c.healthy >= c.instances && c.old === 0 && app.version === version) return { ok: true, app };
    if (Date.parse(app.version) > Date.parse(version)) return { ok: false, app }; // replaced since: waiting cannot help
    // the last old tasks are often still being killed when the deployment reports success
    const pause = Date.now() - start < 2_000 ? 100 : 500;
    if (Date.now() + pause >= deadline) return { ok: false, app }; // no read may start past the deadline
    await pauseFor(pause);
  }
}

function noteFailure(e: MarathonEvent, appId: string, failures: string[]): void {
  if (failures.length >= 20) return;
  if (e.eventType === 'status_update_event' && e.appId === appId && ['TASK_FAILED', 'TASK_ERROR', 'TASK_LOST'].includes(String(e.taskStatus)))
    failures.push(`task ${String(e.taskId)} ${String(e.taskStatus)}${e.message ? `: ${String(e.message)}` : ''}`);
  else if (e.eventType === 'unhealthy_instance_kill_event' && e.appId === appId)
    failures.push(`instance ${String(e.instanceId ?? e.taskId)} killed as unhealthy${e.reason ? `: ${String(e.reason)}` : ''}`);
  else if (e.eventType === 'failed_health_check_event' && e.appId === appId) failures.push(`health check failed for ${String(e.taskId)}`);
}

function summary(appId: string, put: { deploymentId: string; version: string }, why: string, app: AppInfo | null, failures: string[]): string {
  const lines = [`deploy of ${appId} (deployment ${put.deploymentId}, version ${put.version}) failed: ${why}`];
  if (app) {
    const c = countVersion(app, put.version);
    const serving = countVersion(app, app.version);
    lines.push(`  now: app version ${app.version}${app.version === put.version ? ' (the new one)' : ' (the previous one)'}, ${serving.running} running, ${serving.healthy} healthy of ${serving.instances}`);
    if (app.version !== put.version) lines.push(`  new version ${put.version}: ${c.running} running, ${c.healthy} healthy`);
    const ltf = app.lastTaskFailure as { message?: string; state?: string; version?: string } | undefined;
    if (ltf?.message) lines.push(`  last task failure: ${ltf.state ?? ''} ${ltf.message}`.trimEnd());
  } else lines.push('  now: the app does not exist (a first deploy is rolled back by removing it)');
  if (failures.length) lines.push(`  seen while deploying:\n${failures.slice(-8).map((f) => `    ${f}`).join('\n')}`);
  return lines.join('\n');
}
