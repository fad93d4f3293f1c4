/**
 * Where devcluster follows Marathon's own rules in detail, with real containers:
 * - a task being killed (TASK_KILLING, in its taskKillGracePeriodSeconds) still takes its place:
 *   a rolling restart starts a new task only once an old one is terminal (TASK_KILLED), and a task
 *   killed through the API without `scale` is launched again only once it is terminal
 *   (mesosphere/marathon src/main/scala/mesosphere/marathon/core/deployment/impl/TaskReplaceActor.scala,
 *   core/instance/Instance.scala `isScheduled`), and constraints count it (core/launchqueue/impl/TaskLauncherActor.scala);
 * - Marathon-level HTTP checks read past every 1xx answer (its client, akka-http, does) and judge
 *   the final one, with `ignoreHttp1xx` or without (core/health/impl/HealthCheckWorker.scala);
 *   a MESOS_HTTP check follows redirects, as the agent's `curl -L` does (apache/mesos
 *   src/checks/checker_process.cpp).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestDevcluster } from '../support/devcluster.js';
import { startTestDevcluster } from '../support/devcluster.js';
import { components, describeWith } from '../support/integration.js';
import { appDefinitionErrors, call, collectEvents, deploymentGone, until } from './client.js';

const d = await describeWith([components.docker, components.baseImage]);

interface StatusUpdate {
  taskId: string;
  taskStatus: string;
  timestamp: string;
}

const TERMINAL = new Set(['TASK_KILLED', 'TASK_FAILED', 'TASK_FINISHED', 'TASK_LOST', 'TASK_ERROR']);

/**
 * Replays one app's status updates in time order, each task's launch (its stagedAt) included: the
 * most tasks alive at once (launched and not yet terminal, those being killed included), and
 * every launch that came while a task was being killed.
 */
function replay(initial: string[], updates: StatusUpdate[]): { most: number; launchesWhileKilling: string[] } {
  const alive = new Set(initial);
  const killing = new Set<string>();
  let most = alive.size;
  const launchesWhileKilling: string[] = [];
  const ordered = [...updates].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  for (const u of ordered) {
    if (u.taskStatus === 'TASK_STAGING' || u.taskStatus === 'TASK_RUNNING') {
      if (alive.has(u.taskId)) continue;
      if (killing.size > 0) launchesWhileKilling.push(`${u.taskId} launched while ${[...killing].join(', ')} was being killed`);
      alive.add(u.taskId);
    } else if (u.taskStatus === 'TASK_KILLING') killing.add(u.taskId);
    else if (TERMINAL.has(u.taskStatus)) {
      alive.delete(u.taskId);
      killing.delete(u.taskId);
    }
    most = Math.max(most, alive.size);
  }
  return { most, launchesWhileKilling };
}

/** An app whose shell ignores SIGTERM: each kill takes its whole taskKillGracePeriodSeconds (2 s). */
function slowToDie(id: string, more: Record<string, unknown>) {
  return { id, cmd: "trap '' TERM; while :; do sleep 0.2; done", cpus: 0.01, mem: 16, taskKillGracePeriodSeconds: 2, ...more };
}

/** The status updates from now on, once the stream is attached (the caller stops it). */
async function statusEvents(base: string): Promise<ReturnType<typeof collectEvents>> {
  const events = collectEvents(base, '?event_type=status_update_event&event_type=event_stream_attached');
  try {
    await until('the event stream', async () => events.events.some((e) => e.event === 'event_stream_attached') || events.failure() !== undefined, 10_000, 50);
    expect(events.failure()).toBeUndefined();
  } catch (e) {
    events.stop();
    throw e;
  }
  return events;
}

d('bbm devcluster follows Marathon: tasks being killed, 1xx answers (real containers)', () => {
  let dc: TestDevcluster;
  beforeAll(async () => {
    dc = await startTestDevcluster({ args: ['--pull', 'never'] });
  });
  afterAll(async () => {
    await dc?.destroy();
  });

  it('starts a replacement only once the old task is terminal: rolling restart (0.5/0) and a kill through the API', async () => {
    const def = slowToDie('/sem/grace', { instances: 2, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } });
    expect(appDefinitionErrors(def)).toEqual([]);
    const created = await call(dc.url, 'PUT', '/v2/apps/sem/grace', def);
    expect(created.status).toBe(201);
    await deploymentGone(dc.url, created.json.deploymentId);
    const events = await statusEvents(dc.url);
    try {
      // each task's launch time: a launch shows before the container runs
      const launched: StatusUpdate[] = [];
      const tasks = async () => {
        const ts = (await call(dc.url, 'GET', '/v2/apps/sem/grace/tasks')).json.tasks as { id: string; state: string; stagedAt: string }[];
        for (const t of ts) if (!launched.some((l) => l.taskId === t.id)) launched.push({ taskId: t.id, taskStatus: 'TASK_STAGING', timestamp: t.stagedAt });
        return ts;
      };
      const before = (await tasks()).map((t) => t.id);
      // minHealthy 1, maxCapacity 2: one old task goes; the new one waits until it is gone
      const restart = await call(dc.url, 'POST', '/v2/apps/sem/grace/restart', {});
      expect(restart.status).toBe(200);
      await deploymentGone(dc.url, restart.json.deploymentId, 60_000);
      const after = (await tasks()).map((t) => t.id);
      expect(after).toHaveLength(2);
      expect(after.filter((id) => before.includes(id))).toEqual([]);

      // killed without scale: the instance keeps its place (goal Running) until it is terminal
      const victim = after[0]!;
      expect((await call(dc.url, 'DELETE', `/v2/apps/sem/grace/tasks/${victim}`)).status).toBe(200);
      await until('a replacement running', async () => {
        const ts = await tasks();
        return ts.length === 2 && ts.every((t) => t.state === 'TASK_RUNNING' && t.id !== victim);
      }, 30_000);

      const updates = events.events.filter((e) => e.data.appId === '/sem/grace').map((e) => e.data as StatusUpdate);
      expect(new Set(updates.filter((u) => u.taskStatus === 'TASK_KILLING').map((u) => u.taskId))).toEqual(new Set([...before, victim]));
      const { most, launchesWhileKilling } = replay(before, [...updates, ...launched.filter((l) => !before.includes(l.taskId))]);
      expect(launchesWhileKilling).toEqual([]);
      expect(most).toBe(2);
    } finally {
      events.stop();
    }
  });

  it('places nothing beside a task being killed that a UNIQUE constraint still counts, though a superseded deployment decommissioned it', async () => {
    const def = slowToDie('/sem/unique', { instances: 1, constraints: [['hostname', 'UNIQUE']], upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } });
    expect(appDefinitionErrors(def)).toEqual([]);
    const created = await call(dc.url, 'PUT', '/v2/apps/sem/unique', def);
    expect(created.status).toBe(201);
    await deploymentGone(dc.url, created.json.deploymentId);
    const [old] = ((await call(dc.url, 'GET', '/v2/apps/sem/unique/tasks')).json.tasks as { id: string }[]).map((t) => t.id);
    const events = await statusEvents(dc.url);
    try {
      // the restart decommissions the old task; a forced change supersedes it while the task is in its grace period
      expect((await call(dc.url, 'POST', '/v2/apps/sem/unique/restart', {})).status).toBe(200);
      await until('the old task being killed', async () => events.events.some((e) => e.data.taskId === old && e.data.taskStatus === 'TASK_KILLING'), 10_000, 50);
      const forced = await call(dc.url, 'PUT', '/v2/apps/sem/unique?force=true', { ...def, env: { ROUND: '2' } });
      expect(forced.status).toBe(200);
      await deploymentGone(dc.url, forced.json.deploymentId, 60_000);
      const [fresh] = (await call(dc.url, 'GET', '/v2/apps/sem/unique/tasks')).json.tasks as { id: string; stagedAt: string }[];
      const updates = events.events.filter((e) => e.data.appId === '/sem/unique').map((e) => e.data as StatusUpdate);
      const { most, launchesWhileKilling } = replay([old!], [...updates, { taskId: fresh!.id, taskStatus: 'TASK_STAGING', timestamp: fresh!.stagedAt }]);
      expect(launchesWhileKilling).toEqual([]);
      expect(most).toBe(1);
    } finally {
      events.stop();
    }
  });

  it('judges a Marathon-level HTTP check by the final answer after any 1xx, with and without ignoreHttp1xx; MESOS_HTTP follows redirects', async () => {
    // port 0 answers 101 and closes; port 1 answers 101, then 200 (busybox nc runs a script per connection)
    const script = (reply: string) => `'#!/bin/sh' 'while IFS= read -r l; do [ \${#l} -le 1 ] && break; done; printf "${reply}"'`;
    const cmd = [
      `printf '%s\\n' ${script('HTTP/1.1 101 Switching Protocols\\r\\n\\r\\n')} > /tmp/a`,
      `printf '%s\\n' ${script('HTTP/1.1 101 Switching Protocols\\r\\n\\r\\nHTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n')} > /tmp/b`,
      'chmod +x /tmp/a /tmp/b',
      'nc -ll -p "$PORT0" -e /tmp/a & exec nc -ll -p "$PORT1" -e /tmp/b',
    ].join('; ');
    const check = { protocol: 'HTTP', path: '/', gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 0 };
    const def = {
      id: '/sem/informational',
      cmd,
      instances: 1,
      cpus: 0.01,
      mem: 16,
      portDefinitions: [{ port: 0 }, { port: 0 }],
      healthChecks: [
        { ...check, portIndex: 0, ignoreHttp1xx: true },
        { ...check, portIndex: 1, ignoreHttp1xx: false },
        { ...check, portIndex: 1, ignoreHttp1xx: true },
      ],
    };
    expect(appDefinitionErrors(def)).toEqual([]);
    // a MESOS_HTTP check whose path redirects to a failing page: the agent's curl -L follows it
    const routed = `'#!/bin/sh' 'read -r m p v; while IFS= read -r l; do [ \${#l} -le 1 ] && break; done; case "$p" in /health) printf "HTTP/1.1 302 Found\\r\\nLocation: /down\\r\\nContent-Length: 0\\r\\n\\r\\n";; *) printf "HTTP/1.1 503 Service Unavailable\\r\\nContent-Length: 0\\r\\n\\r\\n";; esac'`;
    const redirecting = {
      id: '/sem/redirect',
      cmd: `printf '%s\\n' ${routed} > /tmp/r; chmod +x /tmp/r; exec nc -ll -p "$PORT0" -e /tmp/r`,
      instances: 1,
      cpus: 0.01,
      mem: 16,
      portDefinitions: [{ port: 0 }],
      healthChecks: [{ protocol: 'MESOS_HTTP', path: '/health', portIndex: 0, delaySeconds: 0, gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 100 }],
    };
    expect(appDefinitionErrors(redirecting)).toEqual([]);
    expect((await call(dc.url, 'PUT', '/v2/apps/sem/redirect', redirecting)).status).toBe(201);
    const r = await call(dc.url, 'PUT', '/v2/apps/sem/informational', def);
    expect(r.status).toBe(201);
    // settled: each check healthy, or failing three times in a row (the first probes may come before nc listens)
    const results = await until('three settled health results', async () => {
      const [t] = (await call(dc.url, 'GET', '/v2/apps/sem/informational/tasks')).json.tasks as { healthCheckResults: { alive: boolean; consecutiveFailures: number; lastFailureCause: string | null }[] }[];
      const hr = t?.healthCheckResults ?? [];
      return hr.length === 3 && hr.every((h) => h.alive || h.consecutiveFailures >= 3) ? hr : undefined;
    }, 30_000);
    // 101 then nothing: no final answer, unhealthy even with ignoreHttp1xx; 101 then 200: healthy either way
    expect(results.map((h) => h.alive)).toEqual([false, true, true]);
    expect(results[0]!.lastFailureCause).toBe('socket hang up');
    expect((await call(dc.url, 'GET', '/v2/apps/sem/informational')).json.app.healthChecks.map((h: { ignoreHttp1xx: boolean }) => h.ignoreHttp1xx)).toEqual([true, false, true]);
    const followed = await until('the MESOS_HTTP check failing three times', async () => {
      const [t] = (await call(dc.url, 'GET', '/v2/apps/sem/redirect/tasks')).json.tasks as { healthCheckResults: { alive: boolean; consecutiveFailures: number; lastFailureCause: string | null }[] }[];
      const h = t?.healthCheckResults?.[0];
      return h && (h.alive || h.consecutiveFailures >= 3) ? h : undefined;
    }, 30_000);
    expect(followed).toMatchObject({ alive: false, lastFailureCause: '503 Service Unavailable' });
  });
});
