/**
 * What the engine knows of one task (one Docker container) and of its health checks: the records
 * the scheduler, the views and the health checker share. Data and pure rules only.
 */
import { isTaskHealthy } from '../marathon/task-health.js';
import type { HealthCheckResult, TaskState } from '../marathon/types.js';
import type { ResolvedApp, ResolvedHealthCheck } from './app.js';

export interface HealthState {
  alive: boolean | null;
  consecutiveFailures: number;
  firstSuccess: string | null;
  lastSuccess: string | null;
  lastFailure: string | null;
  lastFailureCause: string | null;
  /** Epoch ms of the next probe. */
  nextAt: number;
  inFlight: boolean;
}

export interface TaskRecord {
  id: string;
  instanceId: string;
  appId: string;
  version: string;
  /** lastConfigChangeAt of the definition it runs: tasks of another config are replaced by a restart. */
  config: string;
  /** The definition the task was launched with. */
  app: ResolvedApp;
  containerId?: string;
  hostPorts: number[];
  state: TaskState;
  stagedAt: string;
  startedAt?: string;
  startedMs: number;
  killing: boolean;
  /**
   * Who is killing it, as Marathon's instance goal says: the deployment (its id) or the scale
   * check that set the goal to Decommissioned. Absent when the goal stays Running (an unhealthy
   * kill, a kill through the API without `scale`): Marathon launches that instance again once it
   * is terminal (core/instance/Instance.scala `isScheduled`), not while it is being killed.
   */
  decommissionedBy?: string;
  ip?: string;
  health: HealthState[];
}

export function freshHealth(nextAt = Date.now() + 300): HealthState {
  return { alive: null, consecutiveFailures: 0, firstSuccess: null, lastSuccess: null, lastFailure: null, lastFailureCause: null, nextAt, inFlight: false };
}

/**
 * When a new task's first health probe runs. Mesos-level checks wait `delaySeconds` (default 15)
 * after the task starts, as the agent's health checker does (apache/mesos
 * src/checks/health_checker.cpp; Marathon passes the field on as `delay_seconds`, mesosphere/marathon
 * src/main/scala/mesosphere/marathon/core/health/HealthCheck.scala MesosHttpHealthCheck).
 * Marathon-level ones start at once (a difference: Marathon waits for its health check actor's
 * first round).
 */
export function firstProbeAt(hc: ResolvedHealthCheck, startedMs: number): number {
  return startedMs + (hc.protocol.startsWith('MESOS_') ? Math.max(300, hc.delaySeconds * 1000) : 300);
}

/** Not being killed and healthy by Marathon's rule (src/marathon/task-health.ts, the one bbm's client uses). */
export function isReady(t: TaskRecord): boolean {
  const results = t.health.filter((h) => h.alive !== null).map((h) => ({ alive: h.alive === true }));
  return !t.killing && isTaskHealthy(t.app, { state: t.state, healthCheckResults: results as HealthCheckResult[] });
}

/** Marathon's instance condition for a task status (instance_changed_event). */
export const CONDITION: Record<string, string> = {
  TASK_STAGING: 'Staging',
  TASK_RUNNING: 'Running',
  TASK_KILLING: 'Killing',
  TASK_KILLED: 'Killed',
  TASK_FAILED: 'Failed',
  TASK_FINISHED: 'Finished',
  TASK_LOST: 'Unreachable',
  TASK_ERROR: 'Error',
};
