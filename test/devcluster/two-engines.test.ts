/**
 * Two bbm devcluster engines on one Docker engine never touch each other's tasks: each owns the
 * containers labelled with its state folder's identity; a second engine that would share a
 * cluster name with a live one refuses to start and names it; an engine on a new state folder
 * removes what an earlier state of the same name left running. Real CLI, real containers.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestDevcluster } from '../support/devcluster.js';
import { removeClusterContainers, startTestDevcluster } from '../support/devcluster.js';
import { components, describeWith } from '../support/integration.js';
import { call, deploymentGone, until } from './client.js';

const d = await describeWith([components.docker, components.baseImage]);

function containers(label: string): { id: string; state: string }[] {
  const out = execFileSync('docker', ['ps', '--no-trunc', '--filter', `label=${label}`, '--format', '{{.ID}} {{.Label "bbm.devcluster.state"}}'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => ({ id: l.split(' ')[0]!, state: l.split(' ')[1] ?? '' }));
}

const app = (id: string) => ({ id, cmd: 'exec sleep 1000', instances: 3, cpus: 0.01, mem: 16 });

d('two bbm devcluster engines on one Docker engine', () => {
  const shared = `two-${randomBytes(3).toString('hex')}`;
  let a: TestDevcluster;
  let b: TestDevcluster;
  const extra: TestDevcluster[] = [];
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestDevcluster({ name: shared, args: ['--pull', 'never'] }), startTestDevcluster({ args: ['--pull', 'never'] })]);
  });
  afterAll(async () => {
    for (const x of [a, b, ...extra]) await x?.destroy().catch(() => undefined);
    await removeClusterContainers(shared);
  });

  it('run a deployment each at the same time; both finish with all their tasks and lose none', async () => {
    const [ra, rb] = await Promise.all([call(a.url, 'PUT', '/v2/apps/two/a', app('/two/a')), call(b.url, 'PUT', '/v2/apps/two/b', app('/two/b'))]);
    expect([ra.status, rb.status]).toEqual([201, 201]);
    await Promise.all([deploymentGone(a.url, ra.json.deploymentId), deploymentGone(b.url, rb.json.deploymentId)]);
    const ids = async (dc: TestDevcluster, p: string) => ((await call(dc.url, 'GET', `/v2/apps${p}/tasks`)).json.tasks as { id: string; state: string }[]).filter((t) => t.state === 'TASK_RUNNING').map((t) => t.id).sort();
    const [ta, tb] = [await ids(a, '/two/a'), await ids(b, '/two/b')];
    expect([ta.length, tb.length]).toEqual([3, 3]);
    // every container carries its engine's state id, and each engine sees only its own
    expect(containers(`bbm.devcluster.name=${a.name}`)).toHaveLength(3);
    const states = new Set(containers(`bbm.devcluster.name=${a.name}`).map((c) => c.state));
    expect(states.size).toBe(1);
    expect([...states][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call(a.url, 'GET', '/v2/info')).json.marathon_config.bbm_devcluster_state).toBe([...states][0]);
    // a few reconcile rounds later nothing was lost or replaced on either side
    await new Promise((r) => setTimeout(r, 2000));
    expect([await ids(a, '/two/a'), await ids(b, '/two/b')]).toEqual([ta, tb]);
    for (const [dc, p] of [[a, '/two/a'], [b, '/two/b']] as const) expect((await call(dc.url, 'GET', `/v2/apps${p}`)).json.app.lastTaskFailure).toBeUndefined();
    expect(a.log()).not.toMatch(/TASK_LOST|container disappeared/);
    expect(b.log()).not.toMatch(/TASK_LOST|container disappeared/);
  });

  it('refuses to start a second engine on the name of a live one, naming it', async () => {
    let failure: Error | undefined;
    try {
      extra.push(await startTestDevcluster({ name: shared, args: ['--pull', 'never'] }));
    } catch (e) {
      failure = e as Error;
    }
    expect(failure?.message).toMatch(new RegExp(`another bbm devcluster already runs cluster name "${shared}": ${a.url.replace(/[.]/g, '\\.')} \\(state folder ${a.stateDir.replace(/[.]/g, '\\.')}`));
    expect(failure?.message).toMatch(/give this engine another --name/);
    // the live engine's tasks are untouched
    expect(containers(`bbm.devcluster.name=${shared}`)).toHaveLength(3);
    expect((await call(a.url, 'GET', '/v2/apps/two/a')).json.app.tasksRunning).toBe(3);
  });

  it('removes what an earlier state of the same name left running', async () => {
    await a.stop(); // tasks keep running
    const left = containers(`bbm.devcluster.name=${shared}`);
    expect(left).toHaveLength(3);
    const fresh = await startTestDevcluster({ name: shared, args: ['--pull', 'never'] });
    extra.push(fresh);
    await until('the leftovers gone', async () => containers(`bbm.devcluster.name=${shared}`).length === 0, 60_000);
    expect(fresh.log()).toMatch(new RegExp(`removing 3 container\\(s\\) of cluster "${shared}" left by an earlier state`));
    expect((await call(fresh.url, 'GET', '/v2/apps')).json.apps).toEqual([]);
    // b never noticed
    expect((await call(b.url, 'GET', '/v2/apps/two/b')).json.app.tasksRunning).toBe(3);
  });
});
