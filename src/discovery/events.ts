/**
 * Pure: one Marathon task or health event applied to the bridge's copy of `/v2/apps`, so a task
 * change reaches HAProxy without fetching every app again. Each event says what it did:
 *
 * - `applied`: the app's tasks changed in the model (the bridge recomputes that app's servers);
 * - `ignored`: nothing HAProxy routes can have changed (e.g. an event for a task never seen);
 * - `resync`: the event alone cannot tell the new state (an app the model does not hold, a health
 *   result of one of several checks, a task seen again after it ended…): the bridge fetches
 *   `/v2/apps` as before.
 *
 * Whether a task takes traffic is still decided by `isTaskHealthy` (marathon/task-health.ts) on
 * the model, so an event can only make the model more like Marathon's own `/v2/apps`; the event
 * shapes are those of mesosphere/marathon core/event/Events.scala (1.10): `status_update_event`
 * carries appId, taskId, taskStatus, host and ports; `health_status_changed_event` appId,
 * instanceId (taskId before 1.5) and alive, for one health check; `instance_health_changed_event`
 * runSpecId, instanceId and the instance's overall `healthy` (true, false or null);
 * `instance_changed_event` runSpecId, instanceId and its condition.
 */
import type { AppInfo, HealthCheckResult, MarathonEvent, Task, TaskState } from '../marathon/types.js';

export type EventEffect = { kind: 'applied'; appId: string } | { kind: 'ignored' } | { kind: 'resync'; reason: string };

/** The events this module can apply; every other event needs a full resync. */
export const TASK_EVENTS = ['status_update_event', 'health_status_changed_event', 'instance_health_changed_event', 'instance_changed_event'] as const;

export interface TaskModel {
  apps: Map<string, AppInfo>;
  /**
   * Task ids that ended (terminal status) since the last full resync: events can arrive out of
   * order, and a late TASK_RUNNING must not bring a dead task back.
   */
  ended: Set<string>;
}

export function modelOf(apps: readonly AppInfo[]): TaskModel {
  return { apps: new Map(apps.map((a) => [a.id, a])), ended: new Set() };
}

const LIVE = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING']);
/** Task states after which Marathon drops the task from `/v2/apps` (TASK_UNREACHABLE and TASK_KILLING stay listed). */
const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN']);
/** instance_changed_event conditions that take an instance's traffic away, as the task state they mean. */
const CONDITION_STATE: Record<string, TaskState | 'ended'> = {
  Killing: 'TASK_KILLING',
  Unreachable: 'TASK_UNREACHABLE',
  UnreachableInactive: 'TASK_UNREACHABLE',
  Killed: 'ended',
  Failed: 'ended',
  Finished: 'ended',
  Error: 'ended',
  Gone: 'ended',
  Dropped: 'ended',
  Unknown: 'ended',
};
/** How many ended task ids are remembered (a full resync clears them anyway). */
const ENDED_MAX = 100_000;

/** `app.instance-<uuid>._app.1` → `app.instance-<uuid>`; a legacy task id is its own instance id. */
export function instanceOf(taskId: string): string {
  return taskId.replace(/\._app\.\d+$/, '');
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function tasksOfInstance(app: AppInfo, instanceId: string): Task[] {
  return (app.tasks ?? []).filter((t) => t.id === instanceId || instanceOf(t.id) === instanceId);
}

function result(alive: boolean, instanceId: string, at: string): HealthCheckResult {
  return { alive, consecutiveFailures: alive ? 0 : 1, firstSuccess: alive ? at : null, lastFailure: alive ? null : at, lastSuccess: alive ? at : null, instanceId };
}

function forget(model: TaskModel, app: AppInfo, ids: readonly string[]): void {
  app.tasks = (app.tasks ?? []).filter((t) => !ids.includes(t.id));
  for (const id of ids) model.ended.add(id);
  if (model.ended.size > ENDED_MAX) model.ended.clear();
}

/** Applies one event to `model` (mutating it) and says what it did. */
export function applyEvent(model: TaskModel, event: MarathonEvent): EventEffect {
  switch (event.eventType) {
    case 'status_update_event':
      return statusUpdate(model, event);
    case 'health_status_changed_event':
      return healthChanged(model, event);
    case 'instance_health_changed_event':
      return instanceHealthChanged(model, event);
    case 'instance_changed_event':
      return instanceChanged(model, event);
    default:
      return { kind: 'resync', reason: event.eventType };
  }
}

function statusUpdate(model: TaskModel, e: MarathonEvent): EventEffect {
  const appId = str(e.appId);
  const taskId = str(e.taskId);
  const status = str(e.taskStatus);
  if (!appId || !taskId || !status) return { kind: 'resync', reason: 'status_update_event without appId, taskId or taskStatus' };
  const app = model.apps.get(appId);
  if (!app) return { kind: 'resync', reason: `status_update_event for ${appId}, an app not seen yet` };
  const tasks = (app.tasks ??= []);
  const existing = tasks.find((t) => t.id === taskId);
  if (TERMINAL.has(status)) {
    if (!existing) return model.ended.add(taskId), { kind: 'ignored' };
    forget(model, app, [taskId]);
    return { kind: 'applied', appId };
  }
  if (!LIVE.has(status)) {
    // TASK_KILLING, TASK_UNREACHABLE…: listed, but no traffic.
    if (!existing || existing.state === status) return { kind: 'ignored' };
    existing.state = status as TaskState;
    return { kind: 'applied', appId };
  }
  if (model.ended.has(taskId)) return { kind: 'ignored' };
  const ports = Array.isArray(e.ports) && e.ports.every((p) => typeof p === 'number') ? (e.ports as number[]) : undefined;
  const host = str(e.host);
  if (!existing) {
    if (!host || !ports) return { kind: 'resync', reason: `status_update_event for a new task of ${appId} without host or ports` };
    tasks.push({ id: taskId, appId, host, ports, servicePorts: [], state: status as TaskState, version: str(e.version) ?? '', healthCheckResults: [], ...(str(e.slaveId) ? { slaveId: str(e.slaveId)! } : {}) });
    return { kind: 'applied', appId };
  }
  // A task seen again in a live state after TASK_KILLING or TASK_UNREACHABLE: its health results
  // in the model may be stale, and Marathon sends a health event only when one changes.
  if (!LIVE.has(existing.state)) return { kind: 'resync', reason: `task ${taskId} is ${status} again after ${existing.state}` };
  const changed = existing.state !== status || (host !== undefined && existing.host !== host) || (ports !== undefined && JSON.stringify(existing.ports) !== JSON.stringify(ports));
  if (!changed) return { kind: 'ignored' };
  existing.state = status as TaskState;
  if (host) existing.host = host;
  if (ports) existing.ports = ports;
  return { kind: 'applied', appId };
}

function healthChanged(model: TaskModel, e: MarathonEvent): EventEffect {
  const appId = str(e.appId);
  const instanceId = str(e.instanceId) ?? str(e.taskId);
  if (!appId || !instanceId || typeof e.alive !== 'boolean') return { kind: 'resync', reason: 'health_status_changed_event without appId, instanceId or alive' };
  const app = model.apps.get(appId);
  if (!app) return { kind: 'resync', reason: `health_status_changed_event for ${appId}, an app not seen yet` };
  const checks = app.healthChecks?.length ?? 0;
  const tasks = tasksOfInstance(app, instanceId);
  if (tasks.length === 0) {
    // Not seen yet (its status update may come later): only a full read tells whether it is healthy.
    return e.alive ? { kind: 'resync', reason: `health_status_changed_event for ${instanceId}, a task not seen yet` } : { kind: 'ignored' };
  }
  // The event is about one of the app's checks and does not say which: alive from one of several
  // checks does not make the task healthy; failing makes it unhealthy whichever check it is.
  if (e.alive && checks !== 1) return { kind: 'resync', reason: `health_status_changed_event for ${instanceId} of ${appId}, which has ${checks} health checks` };
  return setHealth(app, tasks, e.alive ? [true] : [false], instanceId, String(e.timestamp ?? ''));
}

function instanceHealthChanged(model: TaskModel, e: MarathonEvent): EventEffect {
  const appId = str(e.runSpecId) ?? str(e.appId);
  const instanceId = str(e.instanceId);
  const healthy = e.healthy;
  if (!appId || !instanceId || !(typeof healthy === 'boolean' || healthy === null)) return { kind: 'resync', reason: 'instance_health_changed_event without runSpecId, instanceId or healthy' };
  const app = model.apps.get(appId);
  if (!app) return { kind: 'resync', reason: `instance_health_changed_event for ${appId}, an app not seen yet` };
  const checks = app.healthChecks?.length ?? 0;
  const tasks = tasksOfInstance(app, instanceId);
  if (tasks.length === 0) return healthy ? { kind: 'resync', reason: `instance_health_changed_event for ${instanceId}, a task not seen yet` } : { kind: 'ignored' };
  if (checks === 0) return { kind: 'ignored' };
  // healthy: every check alive; false: at least one failing; null: no result yet.
  return setHealth(app, tasks, healthy === true ? new Array<boolean>(checks).fill(true) : healthy === false ? [false] : [], instanceId, String(e.timestamp ?? ''));
}

function setHealth(app: AppInfo, tasks: Task[], alive: boolean[], instanceId: string, at: string): EventEffect {
  let changed = false;
  for (const t of tasks) {
    const before = (t.healthCheckResults ?? []).map((r) => r?.alive === true);
    if (JSON.stringify(before) === JSON.stringify(alive)) continue;
    t.healthCheckResults = alive.map((a) => result(a, instanceId, at));
    changed = true;
  }
  return changed ? { kind: 'applied', appId: app.id } : { kind: 'ignored' };
}

function instanceChanged(model: TaskModel, e: MarathonEvent): EventEffect {
  const appId = str(e.runSpecId) ?? str(e.appId);
  const instanceId = str(e.instanceId);
  const condition = str(e.condition);
  if (!appId || !instanceId || !condition) return { kind: 'resync', reason: 'instance_changed_event without runSpecId, instanceId or condition' };
  const app = model.apps.get(appId);
  if (!app) return { kind: 'resync', reason: `instance_changed_event for ${appId}, an app not seen yet` };
  const state = CONDITION_STATE[condition];
  const tasks = tasksOfInstance(app, instanceId);
  // A live condition (Staging, Running…) comes with a status_update_event, which carries the
  // host and ports; this event alone has no ports.
  if (state === undefined || tasks.length === 0) return { kind: 'ignored' };
  if (state === 'ended') {
    forget(model, app, tasks.map((t) => t.id));
    return { kind: 'applied', appId };
  }
  const moving = tasks.filter((t) => t.state !== state);
  if (moving.length === 0) return { kind: 'ignored' };
  for (const t of moving) t.state = state;
  return { kind: 'applied', appId };
}
