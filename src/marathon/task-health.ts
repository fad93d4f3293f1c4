/**
 * Whether a task takes traffic and counts as healthy: Marathon's own rule (mesosphere/marathon
 * src/main/scala/mesosphere/marathon/core/appinfo/TaskCounts.scala counts a task healthy when it
 * has health results and all are alive), the one marathon-lb routes by. A task still in its grace
 * period has no result yet, so it is not healthy. Used by the deploy health gate, `bbm status`,
 * `bbm endpoints` and `bbm haproxy`.
 */
import type { AppInfo, Task } from './types.js';

/** TASK_RUNNING and, when the app has health checks, a result for each of them, all alive. */
export function isTaskHealthy(app: Pick<AppInfo, 'healthChecks'>, task: Pick<Task, 'state' | 'healthCheckResults'>): boolean {
  if (task.state !== 'TASK_RUNNING') return false;
  const checks = app.healthChecks?.length ?? 0;
  if (checks === 0) return true;
  const results = task.healthCheckResults ?? [];
  if (results.length < checks) return false;
  for (const r of results) if (!r || r.alive !== true) return false;
  return true;
}

/** The state of the app's tasks for one version, as progress and as the final health gate. */
export interface VersionCounts {
  instances: number;
  /** Running tasks of the target version. */
  running: number;
  /** Of those, the ones whose health checks all pass (all of them when the app has no checks). */
  healthy: number;
  /** Tasks of any other version still present. */
  old: number;
  staged: number;
}

export function countVersion(app: AppInfo, version: string): VersionCounts {
  const tasks: Task[] = app.tasks ?? [];
  const mine = tasks.filter((t) => runsVersion(t, app, version));
  const running = mine.filter((t) => t.state === 'TASK_RUNNING');
  const healthy = running.filter((t) => isTaskHealthy(app, t));
  return {
    instances: app.instances ?? 0,
    running: running.length,
    healthy: healthy.length,
    old: tasks.length - mine.length,
    staged: mine.filter((t) => t.state === 'TASK_STAGING' || t.state === 'TASK_STARTING').length,
  };
}

/**
 * Whether a task runs `version` of the app. When `version` is the app's current one, a task
 * launched at or after the last configuration change runs it: a change that only scales (or a
 * rollback to the same configuration) starts no new tasks, and those keep their launch version.
 */
export function runsVersion(task: Task, app: AppInfo, version: string): boolean {
  if (task.version === version) return true;
  const config = app.versionInfo?.lastConfigChangeAt;
  if (app.version !== version || !config) return false;
  const launched = Date.parse(task.version);
  return !Number.isNaN(launched) && launched >= Date.parse(config);
}
