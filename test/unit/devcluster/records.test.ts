/** The engine's records and what is derived from them purely: health transitions, first probes, views, container specs. */
import { describe, expect, it } from 'vitest';
import type { ResolvedApp, ResolvedHealthCheck } from '../../../src/devcluster/app.js';
import { containerSpec } from '../../../src/devcluster/container-spec.js';
import { recordProbe } from '../../../src/devcluster/health-state.js';
import type { TaskRecord } from '../../../src/devcluster/task-record.js';
import { firstProbeAt, freshHealth, isReady } from '../../../src/devcluster/task-record.js';
import { appJson, appView, deploymentView, taskJson, taskView } from '../../../src/devcluster/views.js';

const check = (over: Partial<ResolvedHealthCheck> = {}): ResolvedHealthCheck => ({
  protocol: 'HTTP', gracePeriodSeconds: 10, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2, delaySeconds: 15, ...over,
});

const app = (over: Partial<ResolvedApp> = {}): ResolvedApp =>
  ({
    id: '/a/b', cmd: 'run', backoffFactor: 1.15, backoffSeconds: 1, cpus: 0.5, disk: 0, executor: '', instances: 1, labels: { HAPROXY_GROUP: 'x' },
    maxLaunchDelaySeconds: 300, mem: 64, gpus: 0, networks: [{ mode: 'host' }], requirePorts: false, healthChecks: [check()],
    upgradeStrategy: { maximumOverCapacity: 1, minimumHealthCapacity: 1 }, version: 'v1', versionInfo: { lastScalingAt: 'v1', lastConfigChangeAt: 'v1' },
    killSelection: 'YOUNGEST_FIRST', unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 }, role: '*',
    portDefinitions: [{ port: 10001, protocol: 'tcp', name: 'http', labels: {} }], ...over,
  }) as ResolvedApp;

const task = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 'a_b.instance-1._app.1', instanceId: 'a_b.instance-1', appId: '/a/b', version: 'v1', config: 'v1', app: app(), hostPorts: [31005],
  state: 'TASK_RUNNING', stagedAt: '2026-01-01T00:00:00.000Z', startedAt: '2026-01-01T00:00:01.000Z', startedMs: 1000, killing: false, health: [freshHealth(0)], ...over,
});

describe('recordProbe', () => {
  const at = (ms: number) => ({ iso: new Date(ms).toISOString(), ms });
  it.each<[string, ResolvedHealthCheck, (string | undefined)[], { alive: boolean | null; kill: boolean }]>([
    ['a success makes it alive', check(), [undefined], { alive: true, kill: false }],
    ['failures in the grace period do not count', check(), ['x', 'x', 'x'], { alive: null, kill: false }],
    ['Marathon-level: killed after maxConsecutiveFailures', check({ gracePeriodSeconds: 0 }), ['x', 'x'], { alive: false, kill: true }],
    ['Marathon-level: 0 never kills', check({ gracePeriodSeconds: 0, maxConsecutiveFailures: 0 }), ['x', 'x', 'x'], { alive: false, kill: false }],
    ['Mesos-level: 0 kills on the first failure', check({ protocol: 'MESOS_HTTP', gracePeriodSeconds: 0, maxConsecutiveFailures: 0 }), ['x'], { alive: false, kill: true }],
    ['after a first success the grace period is over', check(), [undefined, 'x', 'x'], { alive: false, kill: true }],
  ])('%s', (_what, hc, results, want) => {
    const h = freshHealth(0);
    let kill = false;
    for (const r of results) kill = recordProbe(h, hc, r, at(2000), 1000).kill || kill;
    expect({ alive: h.alive, kill }).toEqual(want);
  });
});

describe('firstProbeAt', () => {
  it.each<[Partial<ResolvedHealthCheck>, number]>([
    [{ protocol: 'HTTP' }, 1300],
    [{ protocol: 'MESOS_HTTP' }, 16_000],
    [{ protocol: 'MESOS_TCP', delaySeconds: 2 }, 3000],
    [{ protocol: 'MESOS_TCP', delaySeconds: 0 }, 1300],
  ])('%j → %d', (over, want) => expect(firstProbeAt(check(over), 1000)).toBe(want));
});

describe('views', () => {
  const agent = { host: '127.0.0.1', agentId: 'S0' };
  it('shows a task as Marathon 1.10 does, KILLING while it is killed', () => {
    const t = task();
    t.health[0]!.alive = true;
    expect(isReady(t)).toBe(true);
    expect(taskView(t, agent)).toMatchObject({ appId: '/a/b', host: '127.0.0.1', ports: [31005], servicePorts: [10001], slaveId: 'S0', state: 'TASK_RUNNING', healthCheckResults: [{ alive: true, instanceId: 'a_b.instance-1' }] });
    expect(taskView({ ...t, killing: true }, agent).state).toBe('TASK_KILLING');
    expect(taskView(task(), agent).healthCheckResults).toEqual([]); // no result yet
  });
  it('counts tasks as TaskCounts does', () => {
    const healthy = task();
    healthy.health[0]!.alive = true;
    const sick = task({ id: 'b', health: [{ ...freshHealth(0), alive: false }] });
    const view = appView(app(), [healthy, sick, task({ id: 'c', state: 'TASK_STAGING' })], [], undefined, agent, { tasks: false, lastTaskFailure: true });
    expect(view).toMatchObject({ tasksStaged: 1, tasksRunning: 2, tasksHealthy: 1, tasksUnhealthy: 1, deployments: [] });
    expect(view.tasks).toBeUndefined();
  });
  it.each<[string, { tasks: boolean; lastTaskFailure: boolean }, boolean]>([
    ['with tasks and the last failure', { tasks: true, lastTaskFailure: true }, true],
    ['with tasks, no failure recorded', { tasks: true, lastTaskFailure: true }, false],
    ['without tasks', { tasks: false, lastTaskFailure: true }, true],
    ['without either', { tasks: false, lastTaskFailure: false }, true],
  ])('appJson is the text of appView, %s', (_what, embed, failed) => {
    const healthy = task();
    healthy.health[0]!.alive = true;
    const tasks = [healthy, task({ id: 'b', killing: true }), task({ id: 'c', state: 'TASK_STAGING', startedAt: undefined })];
    const failure = failed ? { appId: '/a/b', host: 'h', message: 'm', state: 'TASK_FAILED' as const, taskId: 'x', timestamp: 't', version: 'v1', slaveId: 'S0' } : undefined;
    const deployments = [{ id: 'd1', version: 'v2', appId: '/a/b', action: 'RestartApplication' as const, original: null, target: null }];
    expect(appJson(app(), tasks, deployments, failure, agent, embed)).toBe(JSON.stringify(appView(app(), tasks, deployments, failure, agent, embed)));
  });
  it('taskJson follows every change of what a task shows', () => {
    const t = task();
    const seen = [taskJson(t, agent)];
    const changes: ((x: TaskRecord) => void)[] = [
      (x) => (x.health[0]!.alive = true),
      (x) => (x.health[0]!.lastSuccess = '2026-01-01T00:00:02.000Z'),
      (x) => (x.health[0]!.consecutiveFailures = 1),
      (x) => (x.health[0]!.lastFailureCause = 'boom'),
      (x) => (x.state = 'TASK_STAGING'),
      (x) => (x.killing = true),
      (x) => (x.ip = '172.17.0.9'),
      (x) => (x.hostPorts = [31006]),
    ];
    for (const change of changes) {
      change(t);
      const json = taskJson(t, agent);
      expect(json).toBe(JSON.stringify(taskView(t, agent)));
      expect(seen).not.toContain(json);
      seen.push(json);
    }
    expect(taskJson(t, { host: 'other', agentId: 'S0' })).toBe(JSON.stringify(taskView(t, { host: 'other', agentId: 'S0' })));
  });
  it('shows a deployment with one step', () => {
    const d = deploymentView({ id: 'd1', version: 'v2', appId: '/a/b', action: 'RestartApplication', original: null, target: null });
    expect(d).toEqual({ id: 'd1', version: 'v2', affectedApps: ['/a/b'], affectedPods: [], steps: [{ actions: [{ action: 'RestartApplication', app: '/a/b' }] }], currentActions: [{ action: 'RestartApplication', app: '/a/b', readinessCheckResults: [] }], currentStep: 1, totalSteps: 1 });
  });
});

describe('containerSpec', () => {
  const ctx = { name: 'n', stateId: 'S', engineUrl: 'http://127.0.0.1:1', advertiseHost: 'h', bindAddress: '127.0.0.1', defaultImage: 'img' };
  it('gives a host-networking task its ports, Marathon env and the labels the engine finds it by', () => {
    const spec = containerSpec(task(), ctx);
    expect(spec.env).toMatchObject({ PORT0: '31005', PORT_HTTP: '31005', PORT: '31005', PORTS: '31005', HOST: 'h', MARATHON_APP_ID: '/a/b', MESOS_TASK_ID: 'a_b.instance-1._app.1', MARATHON_APP_LABEL_HAPROXY_GROUP: 'x' });
    expect(spec.labels).toMatchObject({ 'bbm.devcluster.name': 'n', 'bbm.devcluster.state': 'S', 'bbm.devcluster.engine': 'http://127.0.0.1:1', 'bbm.devcluster.task': 'a_b.instance-1._app.1' });
    expect([spec.network, spec.image, spec.entrypoint, spec.cmd]).toEqual(['host', 'img', ['/bin/sh', '-c'], ['run']]);
  });
});
