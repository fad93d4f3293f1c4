/**
 * Versions and deployments as Marathon 1.10 makes them (mesosphere/marathon):
 * - an unchanged definition PUT again: 200 with a deployment id and a new version string, but the
 *   app keeps its version (upgrade/GroupVersioningUtil.scala keeps the version info), the plan has
 *   no steps, so it finishes at once, conflicts with no running deployment
 *   (core/deployment/DeploymentPlan.scala isAffectedBy) and restarts nothing;
 * - a PUT refused with 409 still stores its version (core/group/impl/GroupManagerImpl.scala
 *   updateRootEither: storeRootVersion before deploymentService.deploy);
 * - `servicePort: 0` re-sent keeps an assigned port from the range and is no upgrade; a port from
 *   outside the range is not reused, which makes it an upgrade that restarts the tasks
 *   (core/group/impl/AssignDynamicServiceLogic.scala, state/AppDefinition.scala isUpgrade).
 * Real CLI, real containers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestDevcluster } from '../support/devcluster.js';
import { startTestDevcluster } from '../support/devcluster.js';
import { components, describeWith } from '../support/integration.js';
import { appDefinitionErrors, call, collectEvents, deploymentGone, until } from './client.js';

const d = await describeWith([components.docker, components.baseImage]);

interface TaskJson {
  id: string;
  state: string;
  version: string;
}

d('bbm devcluster versions like Marathon', () => {
  let dc: TestDevcluster;
  beforeAll(async () => {
    dc = await startTestDevcluster({ args: ['--pull', 'never'] });
  });
  afterAll(async () => {
    await dc?.destroy();
  });
  const running = async (p: string) => ((await call(dc.url, 'GET', `/v2/apps${p}/tasks`)).json.tasks as TaskJson[]).filter((t) => t.state === 'TASK_RUNNING').map((t) => t.id).sort();

  it('answers an unchanged definition with a deployment that finishes at once: no new app version, no task restarted', async () => {
    const def = { id: '/ver/same', cmd: 'exec sleep 1000', instances: 2, cpus: 0.01, mem: 16, portDefinitions: [{ port: 0, name: 'http' }] };
    expect(appDefinitionErrors(def)).toEqual([]);
    const created = await call(dc.url, 'PUT', '/v2/apps/ver/same', def);
    await deploymentGone(dc.url, created.json.deploymentId);
    const before = (await call(dc.url, 'GET', '/v2/apps/ver/same')).json.app;
    const tasks = await running('/ver/same');
    expect(tasks).toHaveLength(2);
    const versions = (await call(dc.url, 'GET', '/v2/apps/ver/same/versions')).json.versions;

    const events = collectEvents(dc.url);
    await until('attached', async () => events.events.length > 0, 20_000);
    // the same definition, servicePort 0 included (it keeps the port it was given)
    const again = await call(dc.url, 'PUT', '/v2/apps/ver/same', def);
    expect(again.status).toBe(200);
    expect(again.json.deploymentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.headers.get('marathon-deployment-id')).toBe(again.json.deploymentId);
    expect(again.json.version).not.toBe(before.version);
    expect((await call(dc.url, 'GET', '/v2/deployments')).json).toEqual([]);
    await until('deployment_success', async () => events.events.find((e) => e.event === 'deployment_success' && e.data.id === again.json.deploymentId));
    events.stop();
    const success = events.events.find((e) => e.event === 'deployment_success')!.data;
    expect(success.plan).toEqual({ id: again.json.deploymentId, steps: [], version: again.json.version });
    expect(events.events.filter((e) => e.event === 'deployment_info')).toEqual([]);
    const after = (await call(dc.url, 'GET', '/v2/apps/ver/same')).json.app;
    expect([after.version, after.versionInfo]).toEqual([before.version, before.versionInfo]);
    expect(after.portDefinitions).toEqual(before.portDefinitions);
    expect((await call(dc.url, 'GET', '/v2/apps/ver/same/versions')).json.versions).toEqual(versions);
    await new Promise((r) => setTimeout(r, 1000)); // a few reconcile rounds: nothing restarts
    expect(await running('/ver/same')).toEqual(tasks);
  });

  it('answers an unchanged definition even while a deployment holds the app; a change gets 409 and still stores its version', async () => {
    const def = { id: '/ver/stuck', cmd: 'exec sleep 1000', instances: 2, cpus: 0.01, mem: 16, constraints: [['hostname', 'UNIQUE']] };
    expect(appDefinitionErrors(def)).toEqual([]);
    const created = await call(dc.url, 'PUT', '/v2/apps/ver/stuck', def);
    await until('one task (the second cannot be placed)', async () => (await running('/ver/stuck')).length === 1);
    const same = await call(dc.url, 'PUT', '/v2/apps/ver/stuck', def);
    expect(same.status).toBe(200);
    expect((await call(dc.url, 'GET', '/v2/deployments')).json.map((x: { id: string }) => x.id)).toEqual([created.json.deploymentId]);

    const versions = (await call(dc.url, 'GET', '/v2/apps/ver/stuck/versions')).json.versions as string[];
    const refused = await call(dc.url, 'PUT', '/v2/apps/ver/stuck', { ...def, cmd: 'exec sleep 999' });
    expect(refused.status).toBe(409);
    const now = (await call(dc.url, 'GET', '/v2/apps/ver/stuck/versions')).json.versions as string[];
    expect(now).toHaveLength(versions.length + 1);
    const added = now.find((v) => !versions.includes(v))!;
    expect((await call(dc.url, 'GET', `/v2/apps/ver/stuck/versions/${added}`)).json.cmd).toBe('exec sleep 999');
    const app = (await call(dc.url, 'GET', '/v2/apps/ver/stuck')).json.app;
    expect([app.cmd, app.version]).toEqual(['exec sleep 1000', created.json.version]);
    const del = await call(dc.url, 'DELETE', '/v2/apps/ver/stuck');
    await deploymentGone(dc.url, del.json.deploymentId);
  });

  it('treats servicePort 0 re-sent for a port from outside the range as an upgrade that restarts the tasks', async () => {
    const def = { id: '/ver/port', cmd: 'exec sleep 1000', instances: 1, cpus: 0.01, mem: 16, portDefinitions: [{ port: 9000 }] };
    const created = await call(dc.url, 'PUT', '/v2/apps/ver/port', def);
    await deploymentGone(dc.url, created.json.deploymentId);
    const tasks = await running('/ver/port');
    const r = await call(dc.url, 'PUT', '/v2/apps/ver/port', { ...def, portDefinitions: [{ port: 0 }] });
    expect(r.status).toBe(200);
    const dep = ((await call(dc.url, 'GET', '/v2/deployments')).json as { id: string; steps: { actions: { action: string }[] }[] }[]).find((x) => x.id === r.json.deploymentId);
    expect(dep?.steps[0]?.actions[0]?.action).toBe('RestartApplication');
    await deploymentGone(dc.url, r.json.deploymentId);
    const app = (await call(dc.url, 'GET', '/v2/apps/ver/port')).json.app;
    expect(app.portDefinitions[0].port).toBeGreaterThanOrEqual(10000);
    expect(app.versionInfo.lastConfigChangeAt).toBe(r.json.version);
    const after = await running('/ver/port');
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(tasks);
  });
});
