/**
 * Timing as on Mesos: a task is stopped with its taskKillGracePeriodSeconds, and without one at
 * once, as Mesos' Docker executor does (`docker stop -t 0`: apache/mesos src/docker/executor.cpp,
 * --docker_stop_timeout default 0); Mesos-level health checks wait delaySeconds (default 15)
 * before the first probe (Marathon hands it to Mesos: mesosphere/marathon
 * src/main/scala/mesosphere/marathon/core/health/HealthCheck.scala). Real CLI, real containers;
 * the Docker engine's own "die" events tell how each container ended.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestDevcluster } from '../support/devcluster.js';
import { startTestDevcluster } from '../support/devcluster.js';
import { components, describeWith } from '../support/integration.js';
import { appDefinitionErrors, call, deploymentGone, until } from './client.js';

const d = await describeWith([components.docker, components.baseImage]);

/** Exit codes of the containers of a task, from the Docker engine's events since `since` (unix seconds). */
function exitCodes(taskId: string, since: number): string[] {
  const out = execFileSync(
    'docker',
    ['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=die', '--filter', `label=bbm.devcluster.task=${taskId}`, '--format', '{{.Actor.Attributes.exitCode}}'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return out.split('\n').filter(Boolean);
}

const gone = (taskId: string) => execFileSync('docker', ['ps', '-aq', '--filter', `label=bbm.devcluster.task=${taskId}`], { encoding: 'utf8' }).trim() === '';

d('bbm devcluster timing as on Mesos', () => {
  let dc: TestDevcluster;
  beforeAll(async () => {
    dc = await startTestDevcluster({ args: ['--pull', 'never'] });
  });
  afterAll(async () => {
    await dc?.destroy();
  });

  it('stops a task with its taskKillGracePeriodSeconds, and without one at once (SIGKILL right after SIGTERM)', async () => {
    // on SIGTERM the task needs a second to finish cleanly (exit 0)
    const cmd = "trap 'sleep 1; exit 0' TERM; while :; do sleep 0.2; done";
    const graceful = { id: '/timing/graceful', cmd, instances: 1, cpus: 0.01, mem: 16, taskKillGracePeriodSeconds: 20 };
    const abrupt = { id: '/timing/abrupt', cmd, instances: 1, cpus: 0.01, mem: 16 };
    expect(appDefinitionErrors(abrupt)).toEqual([]);
    const since = Math.floor(Date.now() / 1000) - 1;
    for (const def of [graceful, abrupt]) {
      const r = await call(dc.url, 'PUT', `/v2/apps${def.id}`, def);
      expect(r.status).toBe(201);
      await deploymentGone(dc.url, r.json.deploymentId);
    }
    expect((await call(dc.url, 'GET', '/v2/apps/timing/graceful')).json.app.taskKillGracePeriodSeconds).toBe(20);
    expect((await call(dc.url, 'GET', '/v2/apps/timing/abrupt')).json.app.taskKillGracePeriodSeconds).toBeUndefined();
    const codes: Record<string, string[]> = {};
    for (const def of [graceful, abrupt]) {
      const [task] = (await call(dc.url, 'GET', `/v2/apps${def.id}/tasks`)).json.tasks as { id: string }[];
      await new Promise((r) => setTimeout(r, 500)); // the shell has set its trap
      const killed = await call(dc.url, 'DELETE', `/v2/apps${def.id}/tasks/${task!.id}?scale=true`);
      expect(killed.status).toBe(200);
      await until(`${task!.id} removed`, async () => gone(task!.id), 60_000);
      codes[def.id] = await until('its die event', async () => {
        const c = exitCodes(task!.id, since);
        return c.length > 0 ? c : undefined;
      }, 30_000);
    }
    expect(codes).toEqual({ '/timing/graceful': ['0'], '/timing/abrupt': ['137'] });
  });

  it('probes a Mesos-level check only after delaySeconds (default 15)', async () => {
    const def = {
      id: '/timing/delay',
      cmd: 'exec nc -ll -p "$PORT0" -e true',
      instances: 1,
      cpus: 0.01,
      mem: 16,
      portDefinitions: [{ port: 0 }],
      healthChecks: [{ protocol: 'MESOS_TCP', portIndex: 0, delaySeconds: 3, intervalSeconds: 1, timeoutSeconds: 2, gracePeriodSeconds: 30, maxConsecutiveFailures: 3 }],
    };
    expect(appDefinitionErrors(def)).toEqual([]);
    const r = await call(dc.url, 'PUT', '/v2/apps/timing/delay', def);
    await deploymentGone(dc.url, r.json.deploymentId);
    const [task] = (await call(dc.url, 'GET', '/v2/apps/timing/delay/tasks')).json.tasks as { startedAt: string; healthCheckResults: { alive: boolean; firstSuccess: string }[] }[];
    expect(task!.healthCheckResults[0]!.alive).toBe(true);
    expect(Date.parse(task!.healthCheckResults[0]!.firstSuccess) - Date.parse(task!.startedAt)).toBeGreaterThanOrEqual(3000);
    const defaults = await call(dc.url, 'PUT', '/v2/apps/timing/default', { cmd: 'sleep 1', instances: 0, healthChecks: [{ protocol: 'MESOS_TCP' }] });
    expect(defaults.status).toBe(201);
    expect((await call(dc.url, 'GET', '/v2/apps/timing/default')).json.app.healthChecks[0].delaySeconds).toBe(15);
  });
});
