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
  return results.length >= checks && results.every((r) => r && r.alive === true);
}
