/**
 * Marathon's task-replacement arithmetic (mesosphere/marathon core/deployment/impl/TaskReplaceActor.scala), as a pure function
 * of the current instances. The engine calls it on every tick of a deployment and performs what
 * it returns, so a restart of the engine just resumes from whatever is running.
 */
export interface PlanTask {
  id: string;
  /** Runs the deployment's target configuration. */
  current: boolean;
  /** Running and (when the app has health checks) healthy. */
  ready: boolean;
  /** Epoch ms the task was staged: kill order follows killSelection. */
  stagedAt: number;
}

export interface ReplaceInput {
  instances: number;
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
  killSelection: 'YOUNGEST_FIRST' | 'OLDEST_FIRST';
  /** Active tasks (not being killed). */
  tasks: PlanTask[];
}

export interface ReplaceDecision {
  kill: string[];
  launch: number;
  /** Every task runs the target configuration, N of them, all ready. */
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
  const freshReady = fresh.filter((t) => t.ready).length;

  const kill: string[] = [];
  // Old tasks may go as long as the old plus the ready new ones stay at or above minHealthy.
  const oldKills = Math.min(old.length, Math.max(0, old.length + Math.min(freshReady, n) - minHealthy));
  for (const t of killOrder(old, input.killSelection).slice(0, oldKills)) kill.push(t.id);
  const oldLeft = old.length - oldKills;
  // More new tasks than wanted (a scale-down): drop the extras.
  if (fresh.length > n) for (const t of killOrder(fresh, input.killSelection).slice(0, fresh.length - n)) kill.push(t.id);
  const freshLeft = Math.min(fresh.length, n);

  const room = oldLeft > 0 ? maxCapacity - (oldLeft + freshLeft) : n - freshLeft;
  const launch = Math.max(0, Math.min(room, n - freshLeft));
  const done = old.length === 0 && fresh.length === n && freshReady === n;
  return { kill, launch, done };
}
