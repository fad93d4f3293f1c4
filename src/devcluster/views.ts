/**
 * The engine's records as Marathon 1.10 shows them: apps with their counts, tasks, deployments
 * and plans, queue entries, typed with src/marathon/types.ts (the shapes bbm's client reads).
 * Pure: records and the agent's identity in, JSON out.
 */
import type { AppInfo, Deployment, DeploymentAction, QueueItem, Task, TaskFailure } from '../marathon/types.js';
import type { ResolvedApp } from './app.js';
import { servicePortsOf } from './app.js';
import type { DeploymentRecord } from './store.js';
import type { TaskRecord } from './task-record.js';

export interface Agent {
  /** What tasks report as their host. */
  host: string;
  agentId: string;
}

/** An app definition as the API answers it (ResolvedApp carries exactly Marathon's fields). */
export function definitionView(app: ResolvedApp): AppInfo {
  return app;
}

export function taskView(t: TaskRecord, agent: Agent): Task {
  const task: Task = { appId: t.appId } as Task;
  if (t.app.healthChecks.length > 0)
    task.healthCheckResults = t.health
      .filter((h) => h.alive !== null)
      .map((h) => ({
        alive: h.alive === true,
        consecutiveFailures: h.consecutiveFailures,
        firstSuccess: h.firstSuccess,
        lastSuccess: h.lastSuccess,
        lastFailure: h.lastFailure,
        lastFailureCause: h.lastFailureCause,
        instanceId: t.instanceId,
      }));
  return Object.assign(task, {
    host: agent.host,
    id: t.id,
    ipAddresses: [{ ipAddress: t.ip ?? agent.host, protocol: 'IPv4' as const }],
    ports: t.hostPorts,
    servicePorts: servicePortsOf(t.app),
    slaveId: agent.agentId,
    state: t.killing ? ('TASK_KILLING' as const) : t.state,
    stagedAt: t.stagedAt,
    ...(t.startedAt ? { startedAt: t.startedAt } : {}),
    version: t.version,
    localVolumes: [],
    role: t.app.role,
  });
}

/** Everything taskView reads from a task that changes while it runs (its id, app and stagedAt do not). */
function viewKey(t: TaskRecord, agent: Agent): string {
  let key = `${t.state}|${t.killing}|${t.startedAt ?? ''}|${t.ip ?? ''}|${t.hostPorts.join(',')}|${t.version}|${t.stagedAt}|${agent.host}|${agent.agentId}`;
  for (const h of t.health) key += `|${h.alive}|${h.consecutiveFailures}|${h.firstSuccess}|${h.lastSuccess}|${h.lastFailure}|${h.lastFailureCause}`;
  return key;
}

const taskJsonCache = new WeakMap<TaskRecord, { key: string; app: ResolvedApp; json: string }>();

/**
 * JSON.stringify(taskView(t, agent)), made again only when something it shows changed: a list of
 * hundreds of tasks is mostly the same text from one request to the next.
 */
export function taskJson(t: TaskRecord, agent: Agent): string {
  const key = viewKey(t, agent);
  const cached = taskJsonCache.get(t);
  if (cached && cached.key === key && cached.app === t.app) return cached.json;
  const json = JSON.stringify(taskView(t, agent));
  taskJsonCache.set(t, { key, app: t.app, json });
  return json;
}

/** JSON.stringify(appView(…)) with the same arguments, the same text, with each task's JSON from taskJson. */
export function appJson(...[app, tasks, deployments, lastTaskFailure, agent, embed]: Parameters<typeof appView>): string {
  const { tasks: _views, lastTaskFailure: failure, ...rest } = appView(app, tasks, deployments, lastTaskFailure, agent, { ...embed, tasks: false });
  // appView puts `tasks` and then `lastTaskFailure` after every other key
  let json = JSON.stringify(rest).slice(0, -1);
  if (embed.tasks) json += `,"tasks":[${tasks.map((t) => taskJson(t, agent)).join(',')}]`;
  if (failure !== undefined) json += `,"lastTaskFailure":${JSON.stringify(failure)}`;
  return `${json}}`;
}

/** GET /v2/apps[/{id}]: the definition with counts (TaskCounts), deployments, and optionally tasks and the last failure. */
export function appView(
  app: ResolvedApp,
  tasks: TaskRecord[],
  deployments: DeploymentRecord[],
  lastTaskFailure: TaskFailure | undefined,
  agent: Agent,
  embed: { tasks: boolean; lastTaskFailure: boolean },
): AppInfo {
  const running = tasks.filter((t) => t.state === 'TASK_RUNNING' && !t.killing);
  const hasChecks = (t: TaskRecord) => t.app.healthChecks.length > 0;
  const info: AppInfo = {
    ...definitionView(app),
    tasksStaged: tasks.filter((t) => t.state === 'TASK_STAGING').length,
    tasksRunning: running.length,
    tasksHealthy: running.filter((t) => hasChecks(t) && t.health.every((h) => h.alive === true)).length,
    tasksUnhealthy: running.filter((t) => hasChecks(t) && t.health.some((h) => h.alive === false)).length,
    deployments: deployments.map((d) => ({ id: d.id })),
  };
  if (embed.tasks) info.tasks = tasks.map((t) => taskView(t, agent));
  if (embed.lastTaskFailure && lastTaskFailure) info.lastTaskFailure = lastTaskFailure;
  return info;
}

function actions(d: DeploymentRecord): DeploymentAction[] {
  return [{ action: d.action, app: d.appId }];
}

/** The plan in events (deployment_info, deployment_success …): one step per deployment here. */
export function planView(d: DeploymentRecord): { id: string; steps: { actions: DeploymentAction[] }[]; version: string } {
  return { id: d.id, steps: [{ actions: actions(d) }], version: d.version };
}

export function deploymentView(d: DeploymentRecord): Deployment {
  return {
    id: d.id,
    version: d.version,
    affectedApps: [d.appId],
    affectedPods: [],
    steps: [{ actions: actions(d) }],
    currentActions: actions(d).map((a) => ({ ...a, readinessCheckResults: [] })),
    currentStep: 1,
    totalSteps: 1,
  };
}

/** One /v2/queue entry: instances still to launch, the launch back-off, and why the last "offer" did not fit. */
export function queueView(target: ResolvedApp, count: number, since: string, delayLeftSeconds: number, waitingFor: string | undefined): QueueItem {
  return {
    app: definitionView(target),
    count,
    role: target.role,
    delay: { timeLeftSeconds: delayLeftSeconds, overdue: delayLeftSeconds === 0 },
    since,
    processedOffersSummary: {
      processedOffersCount: waitingFor ? 1 : 0,
      unusedOffersCount: waitingFor ? 1 : 0,
      rejectSummaryLastOffers: waitingFor ? [{ reason: waitingFor.startsWith('constraint') ? 'UnfulfilledConstraint' : 'InsufficientPorts', declined: 1, processed: 1 }] : [],
    },
  };
}
