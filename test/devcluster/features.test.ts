/**
 * bbm devcluster task features with real containers: host networking and its environment,
 * `args`, MESOS_HTTP / MESOS_TCP checks, cpus/mem limits, scaling without restarts,
 * text/plain and JSON /v2/tasks.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestDevcluster } from '../support/devcluster.js';
import { startTestDevcluster } from '../support/devcluster.js';
import { BASE_IMAGE, components, describeWith, itWith } from '../support/integration.js';
import { appDefinitionErrors, call, deploymentGone, until } from './client.js';

const d = await describeWith([components.docker, components.baseImage]);
const itRef = await itWith([components.reference]);
/** Every definition this suite sends, checked against Marathon's own schema by the last test. */
const sent: unknown[] = [];

async function body(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}

function inspect(name: string, taskId: string): { HostConfig: { NanoCpus: number; Memory: number; NetworkMode: string; PortBindings: Record<string, { HostIp: string }[]> } } {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=bbm.devcluster.name=${name}`, '--filter', `label=bbm.devcluster.task=${taskId}`], { encoding: 'utf8' }).trim();
  return JSON.parse(execFileSync('docker', ['inspect', ids], { encoding: 'utf8' }))[0];
}

d('bbm devcluster task features (real containers)', () => {
  let dc: TestDevcluster;
  beforeAll(async () => {
    dc = await startTestDevcluster({ args: ['--pull', 'never'] });
  });
  afterAll(async () => {
    await dc?.destroy();
  });

  it('runs host-networking tasks with $PORT0, $PORT_<NAME>, $HOST, env and limits; MESOS_HTTP checks', async () => {
    const def = {
      id: '/feat/host',
      cmd: 'printf "%s|%s|%s|%s|%s" "$HOST" "$PORT0" "$PORT_HTTP" "$GREETING" "$MARATHON_APP_ID" > /www/index.html && exec httpd -f -p "$PORT0" -h /www',
      instances: 2,
      cpus: 0.25,
      mem: 48,
      env: { GREETING: 'hi; $(touch /tmp/x) "quoted"' },
      portDefinitions: [{ port: 0, name: 'http' }],
      healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 5, intervalSeconds: 1, timeoutSeconds: 3, maxConsecutiveFailures: 3, delaySeconds: 1 }],
    };
    sent.push(def);
    const r = await call(dc.url, 'PUT', '/v2/apps/feat/host', def);
    expect(r.status).toBe(201);
    await deploymentGone(dc.url, r.json.deploymentId);
    const tasks = (await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks;
    expect(tasks).toHaveLength(2);
    for (const t of tasks) {
      expect(t.healthCheckResults[0].alive).toBe(true);
      const port = t.ports[0];
      expect(await body(`http://127.0.0.1:${port}/`)).toBe(`127.0.0.1|${port}|${port}|hi; $(touch /tmp/x) "quoted"|/feat/host`);
      const c = inspect(dc.name, t.id);
      expect(c.HostConfig.NanoCpus).toBe(250_000_000);
      expect(c.HostConfig.Memory).toBe(48 * 1024 * 1024);
      expect(c.HostConfig.NetworkMode).toBe('host');
      expect(port).toBeGreaterThanOrEqual(31000);
      expect(port).toBeLessThanOrEqual(32000);
    }
    const app = (await call(dc.url, 'GET', '/v2/apps/feat/host')).json.app;
    expect(app.portDefinitions[0]).toMatchObject({ name: 'http', protocol: 'tcp' });
    expect(app.portDefinitions[0].port).toBeGreaterThanOrEqual(10000);
    expect(tasks[0].servicePorts).toEqual([app.portDefinitions[0].port]);
  });

  it('runs args with the image entrypoint on a bridge network, checked by MESOS_TCP on the container address', async () => {
    const def = {
      id: '/feat/args',
      args: ['httpd', '-f', '-p', '8080', '-h', '/www'],
      instances: 1,
      networks: [{ mode: 'container/bridge' }],
      container: { type: 'DOCKER', docker: { image: BASE_IMAGE }, portMappings: [{ containerPort: 8080, hostPort: 0, name: 'web' }] },
      healthChecks: [{ protocol: 'MESOS_TCP', portIndex: 0, gracePeriodSeconds: 5, intervalSeconds: 1, timeoutSeconds: 3, maxConsecutiveFailures: 3, delaySeconds: 1 }],
    };
    sent.push(def);
    const r = await call(dc.url, 'PUT', '/v2/apps/feat/args', def);
    expect(r.status).toBe(201);
    await deploymentGone(dc.url, r.json.deploymentId);
    const [t] = (await call(dc.url, 'GET', '/v2/apps/feat/args/tasks')).json.tasks;
    expect(t.healthCheckResults[0].alive).toBe(true);
    expect(t.ipAddresses[0].ipAddress).not.toBe('127.0.0.1');
    const c = inspect(dc.name, t.id);
    expect(c.HostConfig.PortBindings['8080/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: String(t.ports[0]) }]);
  });

  it('scales without restarting the running tasks', async () => {
    const before = (await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks.map((t: { id: string }) => t.id);
    const up = await call(dc.url, 'PUT', '/v2/apps/feat/host', { instances: 3 });
    expect(up.status).toBe(200);
    expect((await call(dc.url, 'GET', '/v2/deployments')).json.find((x: { id: string }) => x.id === up.json.deploymentId)?.steps[0].actions[0].action).toBe('ScaleApplication');
    await deploymentGone(dc.url, up.json.deploymentId);
    const after = (await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks.map((t: { id: string }) => t.id);
    expect(after).toHaveLength(3);
    for (const id of before) expect(after).toContain(id);
    const app = (await call(dc.url, 'GET', '/v2/apps/feat/host')).json.app;
    expect(app.versionInfo.lastConfigChangeAt).not.toBe(app.version);
    expect(app.versionInfo.lastScalingAt).toBe(app.version);
  });

  it('kills a task through the API (replaced), and with scale=true lowers instances', async () => {
    const before = (await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks as { id: string }[];
    const victim = before[0]!.id;
    const killed = await call(dc.url, 'DELETE', `/v2/apps/feat/host/tasks/${victim}`);
    expect(killed.status).toBe(200);
    expect(killed.json.task.id).toBe(victim);
    await until('a replacement', async () => {
      const ids = ((await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks as { id: string; state: string }[]).filter((t) => t.state === 'TASK_RUNNING').map((t) => t.id);
      return ids.length === 3 && !ids.includes(victim);
    });
    const second = ((await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks as { id: string }[])[1]!.id;
    const scaled = await call(dc.url, 'DELETE', `/v2/apps/feat/host/tasks/${second}?scale=true`);
    expect(scaled.status).toBe(200);
    await deploymentGone(dc.url, scaled.json.deploymentId);
    const app = (await call(dc.url, 'GET', '/v2/apps/feat/host')).json.app;
    expect(app.instances).toBe(2);
    await until('2 tasks', async () => (await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks.length === 2);
    expect((await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks.map((t: { id: string }) => t.id)).not.toContain(second);
    const third = ((await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks as { id: string }[])[0]!.id;
    const bulk = await call(dc.url, 'POST', '/v2/tasks/delete', { ids: [third] });
    expect(bulk.status).toBe(200);
    expect(bulk.json.tasks.map((t: { id: string }) => t.id)).toEqual([third]);
    expect((await call(dc.url, 'POST', '/v2/tasks/delete', { ids: ['nope.instance-x._app.1'] })).status).toBe(404);
    await until('a replacement for the bulk kill', async () => {
      const ts = (await call(dc.url, 'GET', '/v2/apps/feat/host/tasks')).json.tasks as { id: string; state: string }[];
      return ts.filter((t) => t.state === 'TASK_RUNNING').length === 2 && !ts.some((t) => t.id === third);
    });
    const up = await call(dc.url, 'PATCH', '/v2/apps/feat/host', { instances: 3 });
    expect(up.status).toBe(200);
    await deploymentGone(dc.url, up.json.deploymentId);
    expect((await call(dc.url, 'PATCH', '/v2/apps/feat/nothing', { instances: 3 })).status).toBe(404);
  });

  it('waits like Marathon when a constraint cannot be met on the one agent, until superseded', async () => {
    const def = { id: '/feat/unique', cmd: 'sleep 1000', instances: 2, cpus: 0.05, mem: 16, constraints: [['hostname', 'UNIQUE']] };
    sent.push(def);
    const r = await call(dc.url, 'PUT', '/v2/apps/feat/unique', def);
    await until('one task', async () => (await call(dc.url, 'GET', '/v2/apps/feat/unique/tasks')).json.tasks.length === 1);
    await new Promise((res) => setTimeout(res, 1500));
    expect((await call(dc.url, 'GET', '/v2/apps/feat/unique/tasks')).json.tasks).toHaveLength(1);
    expect((await call(dc.url, 'GET', '/v2/deployments')).json.map((x: { id: string }) => x.id)).toContain(r.json.deploymentId);
    const queue = (await call(dc.url, 'GET', '/v2/queue')).json.queue as { app: { id: string }; count: number; processedOffersSummary: { rejectSummaryLastOffers: { reason: string }[] } }[];
    const entry = queue.find((q) => q.app.id === '/feat/unique')!;
    expect(entry.count).toBe(1);
    expect(entry.processedOffersSummary.rejectSummaryLastOffers[0]!.reason).toBe('UnfulfilledConstraint');
    expect((await call(dc.url, 'DELETE', '/v2/queue/feat/unique/delay')).status).toBe(404);
    const fix = await call(dc.url, 'PUT', '/v2/apps/feat/unique?force=true', { instances: 1 });
    expect(fix.status).toBe(200);
    await deploymentGone(dc.url, fix.json.deploymentId);
    const del = await call(dc.url, 'DELETE', '/v2/apps/feat/unique');
    await deploymentGone(dc.url, del.json.deploymentId);
  });

  it('lists tasks as JSON and as Marathon text/plain', async () => {
    const all = await call(dc.url, 'GET', '/v2/tasks');
    expect(all.json.tasks.length).toBe(4);
    expect((await call(dc.url, 'GET', '/v2/tasks?status=running')).json.tasks.length).toBe(4);
    expect((await call(dc.url, 'GET', '/v2/tasks?status=staging')).json.tasks.length).toBe(0);
    const text = await call(dc.url, 'GET', '/v2/tasks', undefined, { accept: 'text/plain' });
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    const apps = (await call(dc.url, 'GET', '/v2/apps?embed=apps.tasks')).json.apps as { id: string; tasks: { host: string; ports: number[] }[]; portDefinitions?: { port: number }[]; container?: { portMappings: { servicePort: number }[] } }[];
    const lines = text.text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2);
    for (const app of apps) {
      const sp = app.portDefinitions?.[0]?.port ?? app.container!.portMappings[0]!.servicePort;
      const line = lines.find((l) => l.startsWith(`${app.id.slice(1).replace(/\//g, '_')}\t`))!;
      const fields = line.split('\t');
      expect(fields.pop()).toBe('');
      expect(fields[1]).toBe(String(sp));
      expect(new Set(fields.slice(2))).toEqual(new Set(app.tasks.map((t) => `${t.host}:${t.ports[0]}`)));
    }
    // a failed launch (image absent, --pull never) is retried with back-off and reported
    const missingDef = { id: '/feat/missing', cmd: 'sleep 1000', container: { type: 'DOCKER', docker: { image: 'bbm-test/absent:nope' } } };
    sent.push(missingDef);
    const missing = await call(dc.url, 'PUT', '/v2/apps/feat/missing', missingDef);
    expect(missing.status).toBe(201);
    const failure = await until('lastTaskFailure', async () => (await call(dc.url, 'GET', '/v2/apps/feat/missing')).json.app.lastTaskFailure);
    expect(failure).toMatchObject({ appId: '/feat/missing', state: 'TASK_FAILED' });
    const del = await call(dc.url, 'DELETE', '/v2/apps/feat/missing');
    await deploymentGone(dc.url, del.json.deploymentId);
  });

  itRef('every definition sent is valid for Marathon’s AppDefinition schema (reference data)', () => {
    expect(sent.length).toBeGreaterThan(0);
    for (const def of sent) expect(appDefinitionErrors(def), JSON.stringify(def)).toEqual([]);
  });
});
