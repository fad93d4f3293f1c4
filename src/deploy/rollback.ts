/**
 * `bbm rollback`: put a stored version back (the previous configuration by default) through a
 * normal deployment, followed and health-gated like a deploy.
 */
import { OperationFailedError, UsageError } from '../errors.js';
import { untilStopped } from '../stopping.js';
import type { RunContext } from '../context.js';
import { normalizeAppId } from '../marathon/app-id.js';
import { makeClient, type MarathonConnection } from '../marathon/connection.js';
import { EventHub } from './event-hub.js';
import { countVersion, MARATHON_WAITS, waitForDeployment } from './follow.js';
import { sleep } from '../sleep.js';
import { waitOn } from '../timing.js';
import type { MarathonClient } from '../marathon/client.js';
import { describeBuild, rollbackCandidates, versionFacts, type VersionFacts } from './rollback-target.js';

export interface RollbackOptions {
  appId: string;
  to?: string;
  marathon: MarathonConnection;
  timeoutSeconds: number;
  force: boolean;
}

/** `--to`: the stored version it names (an unknown one lists what Marathon keeps); without --to, the newest one older than `current` (see rollback-target.ts for what `bbm rollback` uses). */
export function pickRollbackVersion(versions: readonly string[], current: string, to: string | undefined, appId: string): string {
  if (to !== undefined) {
    const match = versions.find((v) => v === to || Date.parse(v) === Date.parse(to));
    if (!match)
      throw new UsageError(`--to ${to}: ${appId} has no such version`, {
        hint: `Marathon keeps: ${versions.slice(-5).join(', ') || '(none)'}${versions.length > 5 ? ` and ${versions.length - 5} older` : ''}`,
      });
    return match;
  }
  const older = versions.filter((v) => Date.parse(v) < Date.parse(current));
  const previous = older[older.length - 1];
  if (!previous) throw new OperationFailedError(`${appId} has no version older than its current configuration ${current}; nothing to roll back to`);
  return previous;
}

/** Every stored version with the build labels it carries, oldest first (at most Marathon's 50, 8 at a time). */
export async function versionHistory(client: MarathonClient, appId: string, versions: readonly string[]): Promise<VersionFacts[]> {
  const out: VersionFacts[] = [];
  for (let i = 0; i < versions.length; i += 8) {
    const batch = versions.slice(i, i + 8);
    const defs = await Promise.all(batch.map((v) => client.getVersion(appId, v).catch(() => null)));
    batch.forEach((v, j) => out.push(versionFacts(v, defs[j]?.labels)));
  }
  return out;
}

export async function runRollback(opts: RollbackOptions, ctx: RunContext): Promise<void> {
  const appId = normalizeAppId(opts.appId, '--app-id');
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  const client = await makeClient(opts.marathon, ctx, { deadline });
  let hub: EventHub | undefined;
  // What a stop (SIGINT/SIGTERM) leaves behind, kept up to date as the rollback goes on.
  let left = `nothing was changed: ${appId} runs what it ran before`;
  try {
    const done = await untilStopped(ctx.signal, () => left, async () => {
      const app = await client.getApp(appId);
      if (!app) throw new UsageError(`${appId} does not exist on ${client.url}`, { hint: 'check the id with `bbm status --app-id ID` or Marathon’s UI' });
      const current = app.versionInfo?.lastConfigChangeAt ?? app.version;
      left = `nothing was changed: ${appId} still runs configuration ${current}`;
      const versions = await client.getVersions(appId);
      let target: string;
      if (opts.to !== undefined) target = pickRollbackVersion(versions, current, opts.to, appId);
      else {
        const history = await versionHistory(client, appId, versions);
        const running = versionFacts(app.version, app.labels);
        const candidates = rollbackCandidates(history, running);
        const best = candidates[0];
        if (!best)
          throw new OperationFailedError(`${appId} has no earlier build to go back to: no stored version with other bbm labels than what runs now (${describeBuild(running)}) that was not itself rolled back`, {
            hint: `\`bbm status --app-id ${appId}\` lists the stored versions; \`bbm rollback --to VERSION\` restores any of them`,
          });
        ctx.reporter.info(`${appId}: runs ${describeBuild(running)}`);
        target = best.version;
        ctx.reporter.info(`${appId}: rolling back to ${describeBuild(best)}`);
      }
      ctx.reporter.info(`${appId}: rolling back from configuration ${current} to ${target}`);
      hub = new EventHub({ client, reporter: ctx.reporter, eventTypes: ['deployment_success', 'deployment_failed'] });
      await hub.start();
      left = `the rollback of ${appId} to ${target} was being sent; Marathon may have started it (see \`bbm status --app-id ${appId}\`)`;
      const r = await client.rollbackApp(appId, target, { force: opts.force });
      left =
        `rollback deployment ${r.deploymentId} of ${appId} is left running in Marathon: ${appId} goes from configuration ${current} to ${target} (version ${r.version}); ` +
        `see \`bbm status --app-id ${appId}\`, cancel it with DELETE ${client.url}/v2/deployments/${r.deploymentId}`;
      ctx.reporter.info(`deployment ${r.deploymentId}, new version ${r.version}`);
      const outcome = await waitOn(ctx.waits, MARATHON_WAITS.rollback, () => waitForDeployment({ client, hub, deploymentId: r.deploymentId, deadline, signal: ctx.signal }));
      if (outcome.kind === 'timeout')
        throw new OperationFailedError(`the rollback deployment ${r.deploymentId} of ${appId} did not finish within ${opts.timeoutSeconds} s; it is left running`, {
          hint: `see \`bbm status --app-id ${appId}\`; cancel it with DELETE ${client.url}/v2/deployments/${r.deploymentId}`,
        });
      if (outcome.kind === 'failed') throw new OperationFailedError(`the rollback deployment ${r.deploymentId} of ${appId} failed${outcome.reason ? `: ${outcome.reason}` : ''}`);
      left = `rollback deployment ${r.deploymentId} finished: ${appId} runs version ${r.version} (the configuration of ${target}); its health was not yet confirmed (see \`bbm status --app-id ${appId}\`)`;
      for (;;) {
        const now = await client.getApp(appId);
        const c = now ? countVersion(now, r.version) : undefined;
        if (c) left = `rollback deployment ${r.deploymentId} finished: ${appId} runs version ${r.version} (the configuration of ${target}); ${c.healthy} of ${c.instances} instances were healthy at the last look (see \`bbm status --app-id ${appId}\`)`;
        if (now && c && c.healthy >= c.instances && c.old === 0) {
          ctx.reporter.info(`${appId}: all ${c.instances} instances run version ${r.version} (the configuration of ${target}) and are healthy`);
          return `${appId} ${r.version}`;
        }
        if (Date.now() + 500 >= deadline) // no read may start past the deadline
          throw new OperationFailedError(`${appId}: the rollback finished but ${c?.healthy ?? 0} of ${c?.instances ?? '?'} instances are healthy`);
        await waitOn(ctx.waits, MARATHON_WAITS.rollback, () => sleep(500, ctx.signal));
      }
    });
    ctx.stdout(done);
  } finally {
    await hub?.close();
    await client.close();
  }
}
