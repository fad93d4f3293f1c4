import type { AppInfo, HealthCheck, Task } from '../../../src/marathon/types.js';

let seq = 0;

export function task(appId: string, host: string, ports: number[], extra: Partial<Task> = {}): Task {
  seq++;
  const base = appId.replace(/^\//, '').replace(/\//g, '_');
  return {
    id: `${base}.instance-${String(seq).padStart(4, '0')}._app.1`,
    appId,
    host,
    ports,
    servicePorts: [],
    state: 'TASK_RUNNING',
    version: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

export const alive = (instanceId = 'x') => ({
  alive: true,
  consecutiveFailures: 0,
  firstSuccess: '2026-01-01T00:00:01.000Z',
  lastFailure: null,
  lastSuccess: '2026-01-01T00:00:02.000Z',
  instanceId,
});

export const failing = (instanceId = 'x') => ({ ...alive(instanceId), alive: false, consecutiveFailures: 2 });

export function app(id: string, servicePorts: number[], tasks: Task[], extra: Partial<AppInfo> = {}): AppInfo {
  return {
    id,
    instances: tasks.length,
    version: '2026-01-01T00:00:00.000Z',
    networks: [{ mode: 'container/bridge' }],
    container: {
      type: 'DOCKER',
      docker: { image: 'x' },
      portMappings: servicePorts.map((p, i) => ({ containerPort: 8000 + i, hostPort: 0, servicePort: p, protocol: 'tcp' as const })),
    },
    tasks,
    ...extra,
  };
}

export const httpCheck: HealthCheck = { protocol: 'MESOS_HTTP', portIndex: 0, path: '/' };
export const tcpCheck: HealthCheck = { protocol: 'MESOS_TCP', portIndex: 0 };
