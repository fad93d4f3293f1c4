/**
 * bbm devcluster end to end: the real CLI, real containers from the base image, busybox httpd
 * answering health checks. One app goes through create → rolling upgrade → failing version
 * (cancelled, rolled back) → engine restarts → delete.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BASE_IMAGE, components, describeWith, itWith } from '../support/integration.js';
import type { TestDevcluster } from '../support/devcluster.js';
import { startTestDevcluster } from '../support/devcluster.js';
import { appDefinitionErrors, call, collectEvents, deploymentGone, until } from './client.js';

const d = await describeWith([components.docker, components.baseImage]);
const itRef = await itWith([components.reference]);
/** Every definition this suite sends, checked against Marathon's own schema by the last test. */
const sent: unknown[] = [];

/** A bridge app whose httpd serves `text` on containerPort 8080; health checks hit `healthPath`. */
function webApp(text: string, healthPath = '/') {
  const def = {
    id: '/e2e/web',
    cmd: `echo ${text} > /www/index.html && exec httpd -f -p 8080 -h /www`,
    instances: 3,
    cpus: 0.1,
    mem: 32,
    networks: [{ mode: 'container/bridge' }],
    container: {
      type: 'DOCKER',
      docker: { image: BASE_IMAGE },
      portMappings: [{ containerPort: 8080, hostPort: 0, servicePort: 0, protocol: 'tcp' }],
    },
    healthChecks: [{ protocol: 'HTTP', path: healthPath, portIndex: 0, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 3, maxConsecutiveFailures: 2 }],
    upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
    labels: { HAPROXY_GROUP: 'external' },
  };
  // every definition this suite sends is valid for Marathon's own schema too
  sent.push(def);
  return def;
}

interface TaskJson {
  id: string;
  ports: number[];
  state: string;
  version: string;
  healthCheckResults?: { alive: boolean }[];
}

const healthy = (t: TaskJson) => t.state === 'TASK_RUNNING' && (t.healthCheckResults ?? []).length > 0 && t.healthCheckResults!.every((h) => h.alive);

async function get(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return r.ok ? (await r.text()).trim() : undefined;
  } catch {
    return undefined;
  }
}

function containerCount(name: string): number {
  return execFileSync('docker', ['ps', '-q', '--filter', `label=bbm.devcluster.name=${name}`], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
}

d('bbm devcluster end to end (real containers)', () => {
  let dc: TestDevcluster;
  let v1 = '';
  let v2 = '';
  const tasks = async () => (await call(dc.url, 'GET', '/v2/apps/e2e/web/tasks')).json.tasks as TaskJson[];

  beforeAll(async () => {
    dc = await startTestDevcluster();
  });
  afterAll(async () => {
    await dc?.destroy();
  });

  it('creates an app of 3 instances, each reachable on its host port', async () => {
    const def = webApp('v1');
    const r = await call(dc.url, 'PUT', '/v2/apps/e2e/web', def);
    expect(r.status).toBe(201);
    expect(r.headers.get('marathon-deployment-id')).toBe(r.json.deploymentId);
    v1 = r.json.version;
    await deploymentGone(dc.url, r.json.deploymentId);
    const ts = await tasks();
    expect(ts).toHaveLength(3);
    expect(ts.every(healthy)).toBe(true);
    const ports = ts.map((t) => t.ports[0]);
    expect(new Set(ports).size).toBe(3);
    for (const p of ports) expect(await get(`http://127.0.0.1:${p}/`)).toBe('v1');
    const app = (await call(dc.url, 'GET', '/v2/apps/e2e/web')).json.app;
    expect(app.tasksHealthy).toBe(3);
    expect(app.container.portMappings[0].servicePort).toBeGreaterThanOrEqual(10000);
    expect(app.container.portMappings[0].servicePort).toBeLessThanOrEqual(20000);
    expect(containerCount(dc.name)).toBe(3);
  });

  it('rolls out a new version keeping at least minimumHealthCapacity healthy tasks at every sample', async () => {
    const before = (await call(dc.url, 'GET', '/v2/apps/e2e/web')).json.app.container.portMappings[0].servicePort;
    const stream = collectEvents(dc.url);
    await until('event stream', async () => stream.events.length > 0);
    const r = await call(dc.url, 'PUT', '/v2/apps/e2e/web', webApp('v2'));
    expect(r.status).toBe(200);
    v2 = r.json.version;
    const samples: { healthy: number; versions: string[] }[] = [];
    let done = false;
    while (!done) {
      const [ts, deps] = await Promise.all([tasks(), call(dc.url, 'GET', '/v2/deployments')]);
      samples.push({ healthy: ts.filter(healthy).length, versions: ts.map((t) => t.version) });
      done = !(deps.json as { id: string }[]).some((x) => x.id === r.json.deploymentId);
      if (samples.length > 2000) throw new Error('deployment did not finish');
      await new Promise((res) => setTimeout(res, 100));
    }
    // minimumHealthCapacity 0.5 of 3 → ceil(1.5) = 2 healthy tasks at every moment
    expect(Math.min(...samples.map((s) => s.healthy))).toBeGreaterThanOrEqual(2);
    // it really was rolling: old and new tasks side by side at some sample
    expect(samples.some((s) => s.versions.includes(v1) && s.versions.includes(v2))).toBe(true);
    const ts = await tasks();
    expect(ts.map((t) => t.version)).toEqual([v2, v2, v2]);
    for (const t of ts) expect(await get(`http://127.0.0.1:${t.ports[0]}/`)).toBe('v2');
    const after = (await call(dc.url, 'GET', '/v2/apps/e2e/web')).json.app.container.portMappings[0].servicePort;
    expect(after).toBe(before);
    await until('deployment_success event', async () => stream.events.some((e) => e.event === 'deployment_success' && e.data.id === r.json.deploymentId));
    stream.stop();
    const types = new Set(stream.events.map((e) => e.event));
    for (const t of ['event_stream_attached', 'api_post_event', 'deployment_info', 'status_update_event', 'instance_changed_event', 'health_status_changed_event', 'deployment_step_success', 'deployment_success'])
      expect(types, t).toContain(t);
    expect(stream.raw()).toMatch(/^event: event_stream_attached\r\ndata: \{.*\}\r\n\r\n/);
  });

  it('keeps a version whose health check fails unfinished until cancelled, then the old version is back', async () => {
    const stream = collectEvents(dc.url);
    const r = await call(dc.url, 'PUT', '/v2/apps/e2e/web', webApp('v3', '/missing'));
    expect(r.status).toBe(200);
    const id = r.json.deploymentId as string;
    // a new task is launched, fails its checks and is killed; the deployment is still there
    await until('an unhealthy new task to be killed', async () => stream.events.some((e) => e.event === 'unhealthy_instance_kill_event'));
    expect((await call(dc.url, 'GET', '/v2/deployments')).json.map((x: { id: string }) => x.id)).toContain(id);
    // the app is locked meanwhile
    const locked = await call(dc.url, 'PUT', '/v2/apps/e2e/web', { instances: 2 });
    expect(locked.status).toBe(409);
    expect(locked.json.deployments).toEqual([{ id }]);
    expect(locked.json.message).toMatch(/locked by one or more deployments/);
    expect((await tasks()).filter(healthy).length).toBeGreaterThanOrEqual(2);
    // the refused PUT still stored its version, as Marathon's GroupManagerImpl.updateRootEither
    // stores the root version before the deployment is refused
    const stored = (await call(dc.url, 'GET', '/v2/apps/e2e/web/versions')).json.versions as string[];
    const refused = (await call(dc.url, 'GET', `/v2/apps/e2e/web/versions/${stored[0]}`)).json;
    expect(refused).toMatchObject({ instances: 2, cmd: expect.stringMatching(/echo v3/) });
    expect((await call(dc.url, 'GET', '/v2/apps/e2e/web')).json.app.instances).toBe(3);

    const oldTasks = (await tasks()).filter((t) => t.version === v2).map((t) => t.id);
    expect(oldTasks.length).toBeGreaterThanOrEqual(2);
    const cancel = await call(dc.url, 'DELETE', `/v2/deployments/${id}`);
    expect(cancel.status).toBe(200);
    expect(cancel.json.deploymentId).not.toBe(id);
    await deploymentGone(dc.url, cancel.json.deploymentId);
    stream.stop();
    expect(stream.events.some((e) => e.event === 'deployment_failed' && e.data.id === id)).toBe(true);
    // The rollback is a version of its own: Marathon 1.9.71+ gives it Group.defaultVersion, the
    // master's start-up time (older than every version made since), and TaskReplaceActor replaces
    // every task, the healthy v2 ones included.
    const app = (await call(dc.url, 'GET', '/v2/apps/e2e/web')).json.app;
    expect(app.version).toBe(cancel.json.version);
    expect(app.version < v1).toBe(true);
    expect(app.versionInfo.lastConfigChangeAt).toBe(app.version);
    expect(app.cmd).toMatch(/echo v2/);
    expect((await call(dc.url, 'GET', '/v2/apps/e2e/web/versions')).json.versions).toContain(app.version);
    const ts = await tasks();
    expect(ts).toHaveLength(3);
    expect(ts.every(healthy)).toBe(true);
    for (const t of ts) expect(oldTasks).not.toContain(t.id);
    for (const t of ts) expect(t.version).toBe(app.version);
    for (const t of ts) expect(await get(`http://127.0.0.1:${t.ports[0]}/`)).toBe('v2');
    v2 = app.version;
  });

  it('restarts mid-deployment without duplicating or losing tasks', async () => {
    const r = await call(dc.url, 'POST', '/v2/apps/e2e/web/restart');
    expect(r.status).toBe(200);
    await until('a task of the restart to start', async () => (await tasks()).some((t) => t.version === r.json.version));
    await dc.restart();
    // the deployment survived the restart and finishes
    expect((await call(dc.url, 'GET', '/v2/deployments')).json.map((x: { id: string }) => x.id)).toContain(r.json.deploymentId);
    await deploymentGone(dc.url, r.json.deploymentId);
    const ts = await tasks();
    expect(ts).toHaveLength(3);
    expect(ts.map((t) => t.version)).toEqual([r.json.version, r.json.version, r.json.version]);
    await until('3 healthy tasks', async () => (await tasks()).filter(healthy).length === 3);
    expect(containerCount(dc.name)).toBe(3);

    // a plain restart adopts the same containers
    const ids = ts.map((t) => t.id).sort();
    await dc.restart();
    expect((await tasks()).map((t) => t.id).sort()).toEqual(ids);
    await new Promise((res) => setTimeout(res, 1500));
    expect((await tasks()).map((t) => t.id).sort()).toEqual(ids);
    expect(containerCount(dc.name)).toBe(3);
    const versions = (await call(dc.url, 'GET', '/v2/apps/e2e/web/versions')).json.versions as string[];
    expect(versions).toContain(v1);
    expect((await call(dc.url, 'GET', `/v2/apps/e2e/web/versions/${v1}`)).json.cmd).toMatch(/echo v1/);
  });

  it('rolls back to a stored version by PUT {"version"} and deletes the app with its containers', async () => {
    const r = await call(dc.url, 'PUT', '/v2/apps/e2e/web', { version: v1 });
    expect(r.status).toBe(200);
    await deploymentGone(dc.url, r.json.deploymentId);
    const ts = await tasks();
    for (const t of ts) expect(await get(`http://127.0.0.1:${t.ports[0]}/`)).toBe('v1');

    const del = await call(dc.url, 'DELETE', '/v2/apps/e2e/web');
    expect(del.status).toBe(200);
    expect((await call(dc.url, 'GET', '/v2/apps/e2e/web')).status).toBe(404);
    await deploymentGone(dc.url, del.json.deploymentId);
    expect(containerCount(dc.name)).toBe(0);
  });

  itRef('every definition sent is valid for Marathon’s AppDefinition schema (reference data)', () => {
    expect(sent.length).toBeGreaterThan(0);
    for (const def of sent) expect(appDefinitionErrors(def), JSON.stringify(def)).toEqual([]);
  });
});
