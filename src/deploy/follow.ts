/**
 * Following a deployment to its end: by its id in the event stream (deployment_success /
 * deployment_failed), or, while the stream is down or unavailable, by polling /v2/deployments at
 * most once a second until the id is gone. Also the progress lines and the final health check.
 */
import { countVersion, runsVersion, type VersionCounts } from '../marathon/task-health.js';

export { countVersion, runsVersion, type VersionCounts } from '../marathon/task-health.js';
import type { MarathonClient } from '../marathon/client.js';
import type { AppInfo, MarathonEvent, Task } from '../marathon/types.js';
import type { Reporter } from '../reporter.js';
import { sleep } from '../sleep.js';
import type { EventHub } from './event-hub.js';

export type DeploymentOutcome =
  | { kind: 'success'; via: 'event' | 'poll'; event?: MarathonEvent }
  | { kind: 'failed'; via: 'event'; reason?: string; event: MarathonEvent }
  /** Gone from /v2/deployments without an event seen: the caller checks the app to know how it ended. */
  | { kind: 'gone'; via: 'poll' }
  | { kind: 'timeout' };

export const POLL_INTERVAL_MS = 1_000;

/** What a deploy waits on in Marathon, as its timing line names it (src/timing.ts). */
export const MARATHON_WAITS = { rollout: 'Marathon rollout', lock: 'another deployment', rollback: 'Marathon rollback' } as const;
/** While the stream is open, /v2/deployments is still checked this often, in case an event was lost. */
const SAFETY_CHECK_MS = 15_000;

export async function waitForDeployment(opts: {
  client: MarathonClient;
  hub: EventHub | undefined;
  deploymentId: string;
  deadline: number;
  /** Called on every poll tick (polling mode), to refresh progress. */
  onPoll?: () => Promise<void>;
  signal?: AbortSignal;
}): Promise<DeploymentOutcome> {
  const { client, hub, deploymentId, deadline } = opts;
  const fromEvents = (): DeploymentOutcome | undefined => {
    const e = hub?.find((x) => (x.eventType === 'deployment_success' || x.eventType === 'deployment_failed') && x.id === deploymentId);
    if (!e) return undefined;
    if (e.eventType === 'deployment_success') return { kind: 'success', via: 'event', event: e };
    return { kind: 'failed', via: 'event', event: e, reason: typeof e.reason === 'string' ? e.reason : undefined };
  };
  const stillRunning = async (): Promise<boolean> => (await client.getDeployments()).some((d) => d.id === deploymentId);

  let checkedGeneration = -1;
  let lastCheck = Date.now();
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const seen = fromEvents();
    if (seen) return seen;
    if (Date.now() >= deadline) return { kind: 'timeout' };
    if (hub && hub.state === 'open') {
      // after a (re)connect, events from the gap are lost: ask once whether it already finished
      if (hub.generation !== checkedGeneration || Date.now() - lastCheck >= SAFETY_CHECK_MS) {
        checkedGeneration = hub.generation;
        lastCheck = Date.now();
        if (!(await stillRunning())) return fromEvents() ?? { kind: 'gone', via: 'poll' };
        continue;
      }
      await hub.changed(Math.min(deadline - Date.now(), SAFETY_CHECK_MS));
      continue;
    }
    // polling: the stream is down (reconnecting) or unavailable
    const tick = Date.now();
    if (!(await stillRunning())) return fromEvents() ?? { kind: 'gone', via: 'poll' };
    await opts.onPoll?.();
    const rest = POLL_INTERVAL_MS - (Date.now() - tick);
    if (rest > 0) {
      if (hub && hub.state !== 'unavailable') await hub.changed(Math.min(rest, deadline - Date.now()));
      else await sleep(Math.min(rest, Math.max(0, deadline - Date.now())), opts.signal);
      // never poll faster than once a second, even when the hub woke us up
      const waited = Date.now() - tick;
      if (waited < POLL_INTERVAL_MS && !(hub && hub.state === 'open')) await sleep(POLL_INTERVAL_MS - waited, opts.signal);
    }
  }
}


export function progressLine(appId: string, c: VersionCounts): string {
  return `${appId}: ${c.healthy} of ${c.instances} instances of the new version healthy (${c.running} running, ${c.staged} starting, ${c.old} of older versions)`;
}

/** Prints a progress line when the counts change; refreshes at most once a second. */
export class Progress {
  private last = '';
  private lastFetch = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly client: MarathonClient,
    private readonly reporter: Reporter,
    private readonly appId: string,
    private version: string,
  ) {}

  setVersion(v: string): void {
    this.version = v;
  }

  async refresh(force = false): Promise<void> {
    if (this.version === '') return; // nothing sent yet (waiting out a lock)
    if (this.pending) return this.pending;
    if (!force && Date.now() - this.lastFetch < POLL_INTERVAL_MS) return;
    this.lastFetch = Date.now();
    this.pending = (async () => {
      try {
        const app = await this.client.getApp(this.appId);
        if (!app) return;
        const line = progressLine(this.appId, countVersion(app, this.version));
        if (line !== this.last) this.reporter.info(line);
        this.last = line;
      } catch {
        // progress is best effort; the outcome is decided elsewhere
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

/** Events that mean "the app's tasks changed": worth a progress refresh. */
export function touchesApp(e: MarathonEvent, appId: string): boolean {
  return (
    e.appId === appId ||
    e.runSpecId === appId ||
    (e.eventType.startsWith('deployment_') && Array.isArray((e.plan as { steps?: unknown } | undefined)?.steps))
  );
}
