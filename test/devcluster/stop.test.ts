/**
 * One SIGTERM stops bbm devcluster quickly, whatever is open or in flight: an event-stream
 * client, a keep-alive connection, a health probe that never gets an answer. Its tasks keep
 * running and the next start adopts them. Real CLI, real containers.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestDevcluster } from '../support/devcluster.js';
import { startTestDevcluster } from '../support/devcluster.js';
import { components, describeWith } from '../support/integration.js';
import { call, collectEvents, until } from './client.js';

const d = await describeWith([components.docker, components.baseImage]);

d('stopping bbm devcluster', () => {
  let dc: TestDevcluster;
  beforeAll(async () => {
    dc = await startTestDevcluster({ args: ['--pull', 'never'] });
  });
  afterAll(async () => {
    await dc?.destroy();
  });

  it('exits on one SIGTERM with an event stream, a keep-alive connection and a hanging health probe open; the task keeps running and is adopted', async () => {
    // the task accepts connections and never answers: every HTTP probe hangs for timeoutSeconds
    const def = {
      id: '/stop/hang',
      cmd: 'exec nc -ll -p "$PORT0" -e sleep 1000',
      instances: 1,
      cpus: 0.01,
      mem: 16,
      portDefinitions: [{ port: 0 }],
      healthChecks: [{ protocol: 'HTTP', portIndex: 0, intervalSeconds: 1, timeoutSeconds: 300, gracePeriodSeconds: 600, maxConsecutiveFailures: 3 }],
    };
    expect((await call(dc.url, 'PUT', '/v2/apps/stop/hang', def)).status).toBe(201);
    const task = await until('the task running', async () => ((await call(dc.url, 'GET', '/v2/apps/stop/hang/tasks')).json.tasks as { id: string; state: string }[]).find((t) => t.state === 'TASK_RUNNING'));
    // wait until a probe reached the task (its nc forked a sleep for the connection)
    const container = execFileSync('docker', ['ps', '-q', '--filter', `label=bbm.devcluster.task=${task.id}`], { encoding: 'utf8' }).trim();
    await until('a probe hanging in the task', async () => execFileSync('docker', ['top', container], { encoding: 'utf8' }).includes('sleep 1000'), 30_000);

    const events = collectEvents(dc.url);
    await until('the event stream attached', async () => events.events.length > 0, 20_000);
    const agent = new http.Agent({ keepAlive: true });
    const u = new URL(dc.url);
    await new Promise<void>((resolve, reject) => {
      http.get({ host: u.hostname, port: u.port, path: '/v2/info', agent }, (res) => res.resume().on('end', () => resolve())).once('error', reject);
    });
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1); // the keep-alive connection is open

    const { killed } = await dc.stop(5000);
    agent.destroy();
    events.stop();
    expect(killed, `needed SIGKILL; stderr:\n${dc.log()}`).toBe(false);
    expect(dc.log()).toMatch(/stopping \(task containers keep running\)/);
    // it gave its cluster name up (the presence volume is gone)
    expect(execFileSync('docker', ['volume', 'ls', '-q', '--filter', `name=^bbm-devcluster-${dc.name}$`], { encoding: 'utf8' }).trim()).toBe('');
    expect(execFileSync('docker', ['ps', '-q', '--filter', `label=bbm.devcluster.task=${task.id}`], { encoding: 'utf8' }).trim()).toBe(container);

    await dc.restart();
    await until('the task adopted', async () => ((await call(dc.url, 'GET', '/v2/apps/stop/hang/tasks')).json.tasks as { id: string }[]).some((t) => t.id === task.id));
    expect(dc.log()).toContain(`adopted running task ${task.id}`);
    const del = await call(dc.url, 'DELETE', '/v2/apps/stop/hang');
    expect(del.status).toBe(200);
  });
});
