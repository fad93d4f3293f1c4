/**
 * Marathon's task-replacement arithmetic (mesosphere/marathon
 * src/main/scala/mesosphere/marathon/core/deployment/impl/TaskReplaceActor.scala), as a pure
 * function of the current instances. The engine calls it on every tick of a deployment and
 * performs what it returns, so a restart of the engine just resumes from whatever is running.
 *
 * A task being killed (TASK_KILLING, not yet terminal) still takes its place. TaskReplaceActor
 * keeps an old instance in `oldActiveInstanceIds` from the moment it sets its goal to
 * Decommissioned until an InstanceChanged event says it is terminal (`considerTerminal` in
 * core/task/termination/InstanceChangedPredicates.scala lists Killed, Failed, Finished, Error,
 * Gone, Dropped, Unknown, Unreachable; Killing is an active condition in
 * core/condition/Condition.scala), and only then calls `launchInstances`, whose room is
 * `maxCapacity - oldActiveInstanceIds.size - instancesStarted`; `instancesStarted` counts every
 * instance of the new version, whatever its goal or condition. So a replacement starts when the
 * old task is gone, not when it is told to go: with a long taskKillGracePeriodSeconds the
 * deployment waits that long.
 */
export interface PlanTask {
  id: string;
  /** Runs the deployment's target configuration. */
  current: boolean;
  /** Running and (when the app has health checks) healthy. */
  ready: boolean;
  /** Epoch ms the task was staged: kill order follows killSelection. */
  stagedAt: number;
  /** Being killed (TASK_KILLING): still counts toward capacity, is never chosen again, never ready. */
  killing?: boolean;
}

export interface ReplaceInput {
  instances: number;
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
  killSelection: 'YOUNGEST_FIRST' | 'OLDEST_FIRST';
  /**
   * The tasks that count: every task not yet terminal, those being killed included, except an
   * old task some earlier deployment had already decommissioned (TaskReplaceActor only counts old
   * instances whose goal was still Running when it started).
   */
  tasks: PlanTask[];
}

export interface ReplaceDecision {
  kill: string[];
  launch: number;
  /** Every task runs the target configuration, N of them, all ready, none being killed. */
  done: boolean;
}

export function capacities(instances: number, minimumHealthCapacity: number, maximumOverCapacity: number) {
  const minHealthy = Math.ceil(instances * minimumHealthCapacity);
  let maxCapacity = Math.floor(instances * (1 + maximumOverCapacity));
  // With no room above minHealthy nothing could ever start: Marathon allows one extra instance.
  if (minHealthy === maxCapacity) maxCapacity += 1;
  return { minHealthy, maxCapacity };
}

function killOrder(tasks: PlanTask[], selection: ReplaceInput['killSelection']): PlanTask[] {
  return [...tasks].sort((a, b) => {
    if (a.ready !== b.ready) return a.ready ? 1 : -1; // tasks that are not ready go first
    return selection === 'YOUNGEST_FIRST' ? b.stagedAt - a.stagedAt : a.stagedAt - b.stagedAt;
  });
}

export function planReplacement(input: ReplaceInput): ReplaceDecision {
  const n = input.instances;
  const { minHealthy, maxCapacity } = capacities(n, input.minimumHealthCapacity, input.maximumOverCapacity);
  const old = input.tasks.filter((t) => !t.current);
  const fresh = input.tasks.filter((t) => t.current);
  const oldAlive = old.filter((t) => !t.killing);
  const freshAlive = fresh.filter((t) => !t.killing);
  const freshReady = freshAlive.filter((t) => t.ready).length;

  const kill: string[] = [];
  // Old tasks may go as long as the old plus the ready new ones stay at or above minHealthy
  // (TaskReplaceActor kills max(0, healthy - minHealthy) at once, then one per new ready task).
  const oldKills = Math.min(oldAlive.length, Math.max(0, oldAlive.length + Math.min(freshReady, n) - minHealthy));
  for (const t of killOrder(oldAlive, input.killSelection).slice(0, oldKills)) kill.push(t.id);
  // More new tasks than wanted (a scale-down): drop the extras.
  if (freshAlive.length > n) for (const t of killOrder(freshAlive, input.killSelection).slice(0, freshAlive.length - n)) kill.push(t.id);

  // Room for new tasks: every old task not yet terminal (those just told to go and those still
  // in their kill grace period included) and every new one already started take their place.
  const started = fresh.length;
  const room = old.length > 0 ? maxCapacity - old.length - started : n - started;
  const launch = Math.max(0, Math.min(room, n - started));
  // freshReady counts only tasks not being killed: N ready of N new means none is being killed
  const done = old.length === 0 && fresh.length === n && freshReady === n;
  return { kill, launch, done };
}
