/**
 * Health checks on the engine's task records: where a probe goes, and how one result changes a
 * check's state (grace period, consecutive failures, when to kill), following Marathon's health
 * check actor for Marathon-level checks (mesosphere/marathon
 * src/main/scala/mesosphere/marathon/core/health/impl/HealthCheckActor.scala: maxConsecutiveFailures
 * 0 never kills) and Mesos' health checker for MESOS_* ones (0 kills on the first failure).
 * Pure: the probe itself is health.ts, the events and the kill are the engine's.
 */
import type { ResolvedHealthCheck } from './app.js';
import { isBridge } from './app.js';
import type { ProbeTarget } from './health.js';
import type { HealthState, TaskRecord } from './task-record.js';

/** Where a check of this task goes: Mesos-level checks of a bridge task reach the container's own address. */
export function probeTarget(t: TaskRecord, hc: ResolvedHealthCheck, bindAddress: string): ProbeTarget | undefined {
  const mesos = hc.protocol.startsWith('MESOS_');
  const base = { protocol: hc.protocol, timeoutMs: hc.timeoutSeconds * 1000, ...(hc.path !== undefined ? { path: hc.path } : {}), ...(hc.ignoreHttp1xx ? { ignoreHttp1xx: true } : {}) };
  if (hc.port !== undefined) return { ...base, host: bindAddress, port: hc.port };
  const i = hc.portIndex ?? 0;
  if (mesos && isBridge(t.app) && t.ip) {
    const m = t.app.container?.portMappings?.[i];
    const port = m ? (m.containerPort === 0 ? t.hostPorts[i] : m.containerPort) : undefined;
    return port === undefined ? undefined : { ...base, host: t.ip, port };
  }
  const port = t.hostPorts[i];
  return port === undefined ? undefined : { ...base, host: bindAddress, port };
}

export interface ProbeOutcome {
  /** The check's alive flag changed to this. */
  became?: boolean;
  /** A failure that counts (outside the grace period). */
  failed: boolean;
  /** The task must be killed as unhealthy. */
  kill: boolean;
}

/** Applies one probe result (failure cause, or undefined for healthy) to the check's state. */
export function recordProbe(h: HealthState, hc: ResolvedHealthCheck, failure: string | undefined, now: { iso: string; ms: number }, startedMs: number): ProbeOutcome {
  if (failure === undefined) {
    h.consecutiveFailures = 0;
    h.lastSuccess = now.iso;
    h.firstSuccess ??= now.iso;
    if (h.alive === true) return { failed: false, kill: false };
    h.alive = true;
    return { became: true, failed: false, kill: false };
  }
  h.lastFailure = now.iso;
  h.lastFailureCause = failure;
  // failures before the first success do not count during the grace period
  if (h.firstSuccess === null && now.ms - startedMs < hc.gracePeriodSeconds * 1000) return { failed: false, kill: false };
  h.consecutiveFailures += 1;
  const outcome: ProbeOutcome = { failed: true, kill: false };
  if (h.alive !== false) {
    h.alive = false;
    outcome.became = false;
  }
  const limit = hc.maxConsecutiveFailures;
  outcome.kill = hc.protocol.startsWith('MESOS_') ? h.consecutiveFailures > limit || limit === 0 : limit > 0 && h.consecutiveFailures >= limit;
  return outcome;
}
