import { describe, expect, it } from 'vitest';
import { applyEvent, instanceOf, modelOf, type EventEffect } from '../../../src/discovery/events.js';
import { isTaskHealthy } from '../../../src/marathon/task-health.js';
import type { AppInfo, MarathonEvent } from '../../../src/marathon/types.js';
import { alive, app, httpCheck, task, tcpCheck } from './fixtures.js';

const ev = (eventType: string, extra: Record<string, unknown>): MarathonEvent => ({ eventType, timestamp: '2026-01-01T00:00:09.000Z', ...extra });

/** /web: one HTTP check, two healthy tasks; /plain: no checks, one task; /two: two checks, one task healthy on both. */
function world() {
  const w1 = task('/web', '10.0.0.1', [31001]);
  const w2 = task('/web', '10.0.0.2', [31002]);
  w1.healthCheckResults = [alive(instanceOf(w1.id))];
  w2.healthCheckResults = [alive(instanceOf(w2.id))];
  const p1 = task('/plain', '10.0.0.3', [31003]);
  const t1 = task('/two', '10.0.0.4', [31004], { healthCheckResults: [alive(), alive()] });
  const apps: AppInfo[] = [
    app('/web', [10001], [w1, w2], { healthChecks: [httpCheck] }),
    app('/plain', [10002], [p1]),
    app('/two', [10003], [t1], { healthChecks: [httpCheck, tcpCheck] }),
  ];
  return { model: modelOf(apps), w1, w2, p1, t1 };
}

/** The tasks HAProxy would route for an app: `host:port` of the healthy ones. */
function routed(model: ReturnType<typeof modelOf>, appId: string): string[] {
  const a = model.apps.get(appId)!;
  return (a.tasks ?? []).filter((t) => isTaskHealthy(a, t)).map((t) => `${t.host}:${t.ports[0]}`).sort();
}

const status = (appId: string, taskId: string, taskStatus: string, extra: Record<string, unknown> = {}) =>
  ev('status_update_event', { appId, taskId, taskStatus, host: '10.0.0.9', ports: [31999], slaveId: 'agent-1', message: '', version: '2026-01-01T00:00:00.000Z', ...extra });

describe('applyEvent', () => {
  type W = ReturnType<typeof world>;
  const rows: { name: string; events: (w: W) => MarathonEvent[]; effects: EventEffect['kind'][]; web?: string[]; plain?: string[]; two?: string[] }[] = [
    {
      name: 'TASK_KILLING takes the task out at once (it stays listed, without traffic)',
      events: (w) => [status('/web', w.w1.id, 'TASK_KILLING', { host: w.w1.host, ports: w.w1.ports })],
      effects: ['applied'],
      web: ['10.0.0.2:31002'],
    },
    {
      name: 'TASK_KILLED removes the task; a late TASK_RUNNING of it does not bring it back',
      events: (w) => [status('/web', w.w1.id, 'TASK_KILLED'), status('/web', w.w1.id, 'TASK_RUNNING')],
      effects: ['applied', 'ignored'],
      web: ['10.0.0.2:31002'],
    },
    {
      name: 'a new running task of an app with health checks waits for its health event',
      events: () => [status('/web', 'web.instance-new._app.1', 'TASK_RUNNING')],
      effects: ['applied'],
      web: ['10.0.0.1:31001', '10.0.0.2:31002'],
    },
    {
      name: 'a new task turns healthy: routed',
      events: () => [status('/web', 'web.instance-new._app.1', 'TASK_RUNNING'), ev('health_status_changed_event', { appId: '/web', instanceId: 'web.instance-new', version: 'v', alive: true })],
      effects: ['applied', 'applied'],
      web: ['10.0.0.1:31001', '10.0.0.2:31002', '10.0.0.9:31999'],
    },
    {
      name: 'before Marathon 1.5 the health event names the task id',
      events: () => [status('/web', 'web.legacy-uuid', 'TASK_RUNNING'), ev('health_status_changed_event', { appId: '/web', taskId: 'web.legacy-uuid', alive: true })],
      effects: ['applied', 'applied'],
      web: ['10.0.0.1:31001', '10.0.0.2:31002', '10.0.0.9:31999'],
    },
    {
      name: 'a task turns unhealthy, then healthy again; the same news twice changes nothing',
      events: (w) => [
        ev('health_status_changed_event', { appId: '/web', instanceId: instanceOf(w.w2.id), alive: false }),
        ev('instance_health_changed_event', { runSpecId: '/web', instanceId: instanceOf(w.w2.id), healthy: false }),
      ],
      effects: ['applied', 'ignored'],
      web: ['10.0.0.1:31001'],
    },
    {
      name: 'instance health unknown (null) is not healthy',
      events: (w) => [ev('instance_health_changed_event', { runSpecId: '/web', instanceId: instanceOf(w.w1.id), healthy: null })],
      effects: ['applied'],
      web: ['10.0.0.2:31002'],
    },
    {
      name: 'a task of an app without health checks is routed as soon as it runs, and not while staging',
      events: () => [status('/plain', 'plain.instance-b._app.1', 'TASK_STAGING'), status('/plain', 'plain.instance-c._app.1', 'TASK_RUNNING')],
      effects: ['applied', 'applied'],
      plain: ['10.0.0.3:31003', '10.0.0.9:31999'],
    },
    {
      name: 'staging → running of a known task with new ports',
      events: () => [status('/plain', 'plain.instance-b._app.1', 'TASK_STAGING', { ports: [] }), status('/plain', 'plain.instance-b._app.1', 'TASK_RUNNING', { ports: [32000] })],
      effects: ['applied', 'applied'],
      plain: ['10.0.0.3:31003', '10.0.0.9:32000'],
    },
    {
      name: 'one of two checks failing makes the task unhealthy',
      events: (w) => [ev('health_status_changed_event', { appId: '/two', instanceId: instanceOf(w.t1.id), alive: false })],
      effects: ['applied'],
      two: [],
    },
    {
      name: 'one of two checks alive cannot tell: full resync',
      events: (w) => [ev('health_status_changed_event', { appId: '/two', instanceId: instanceOf(w.t1.id), alive: false }), ev('health_status_changed_event', { appId: '/two', instanceId: instanceOf(w.t1.id), alive: true })],
      effects: ['applied', 'resync'],
      two: [],
    },
    {
      name: 'the instance as a whole healthy again (all checks) is routed',
      events: (w) => [
        ev('health_status_changed_event', { appId: '/two', instanceId: instanceOf(w.t1.id), alive: false }),
        ev('instance_health_changed_event', { runSpecId: '/two', instanceId: instanceOf(w.t1.id), healthy: true }),
      ],
      effects: ['applied', 'applied'],
      two: ['10.0.0.4:31004'],
    },
    {
      name: 'instance_changed_event Killing and Killed take the instance out; Running alone (no ports) changes nothing',
      events: (w) => [
        ev('instance_changed_event', { runSpecId: '/web', instanceId: instanceOf(w.w1.id), condition: 'Killing' }),
        ev('instance_changed_event', { runSpecId: '/web', instanceId: instanceOf(w.w2.id), condition: 'Killed' }),
        ev('instance_changed_event', { runSpecId: '/web', instanceId: 'web.instance-new', condition: 'Running' }),
      ],
      effects: ['applied', 'applied', 'ignored'],
      web: [],
    },
    {
      name: 'a task live again after TASK_KILLING or TASK_UNREACHABLE: its health may be stale, full resync',
      events: (w) => [status('/web', w.w1.id, 'TASK_UNREACHABLE'), status('/web', w.w1.id, 'TASK_RUNNING', { host: w.w1.host, ports: w.w1.ports })],
      effects: ['applied', 'resync'],
      web: ['10.0.0.2:31002'],
    },
    {
      name: 'an app the model does not hold: full resync',
      events: () => [status('/new', 'new.instance-a._app.1', 'TASK_RUNNING'), ev('health_status_changed_event', { appId: '/new', instanceId: 'new.instance-a', alive: true })],
      effects: ['resync', 'resync'],
    },
    {
      name: 'healthy news of a task not seen yet: full resync; failing news of one: nothing',
      events: () => [ev('health_status_changed_event', { appId: '/web', instanceId: 'web.instance-zzz', alive: true }), ev('instance_health_changed_event', { runSpecId: '/web', instanceId: 'web.instance-zzz', healthy: false })],
      effects: ['resync', 'ignored'],
      web: ['10.0.0.1:31001', '10.0.0.2:31002'],
    },
    {
      name: 'malformed events: full resync, the model untouched',
      events: (w) => [
        ev('status_update_event', { appId: '/web', taskId: w.w1.id }),
        ev('status_update_event', { appId: '/web', taskId: 'web.instance-x._app.1', taskStatus: 'TASK_RUNNING', host: '10.0.0.9', ports: ['31000'] }),
        ev('health_status_changed_event', { appId: '/web', instanceId: instanceOf(w.w1.id), alive: 'false' }),
        ev('instance_health_changed_event', { runSpecId: '/web', instanceId: instanceOf(w.w1.id), healthy: 'no' }),
        ev('instance_changed_event', { runSpecId: '/web', condition: 'Killed' }),
        ev('deployment_success', {}),
      ],
      effects: ['resync', 'resync', 'resync', 'resync', 'resync', 'resync'],
      web: ['10.0.0.1:31001', '10.0.0.2:31002'],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const w = world();
      const effects = row.events(w).map((e) => applyEvent(w.model, e).kind);
      expect(effects).toEqual(row.effects);
      if (row.web) expect(routed(w.model, '/web')).toEqual(row.web);
      if (row.plain) expect(routed(w.model, '/plain')).toEqual(row.plain);
      if (row.two) expect(routed(w.model, '/two')).toEqual(row.two);
    });
  }

  it('an applied event names its app', () => {
    const w = world();
    expect(applyEvent(w.model, status('/web', w.w1.id, 'TASK_KILLING'))).toEqual({ kind: 'applied', appId: '/web' });
  });

  it('a health result it writes is the shape Marathon lists (one per check)', () => {
    const w = world();
    const t = w.model.apps.get('/two')!.tasks![0]!;
    t.healthCheckResults = [];
    applyEvent(w.model, ev('instance_health_changed_event', { runSpecId: '/two', instanceId: instanceOf(w.t1.id), healthy: true }));
    expect(t.healthCheckResults).toHaveLength(2);
    expect(t.healthCheckResults!.every((r) => r.alive && r.instanceId === instanceOf(w.t1.id) && r.lastSuccess === '2026-01-01T00:00:09.000Z')).toBe(true);
    applyEvent(w.model, ev('health_status_changed_event', { appId: '/two', instanceId: instanceOf(w.t1.id), alive: false }));
    expect(t.healthCheckResults).toEqual([expect.objectContaining({ alive: false, lastFailure: '2026-01-01T00:00:09.000Z', instanceId: instanceOf(w.t1.id) })]);
  });

  it('instanceOf: the instance id of a task id', () => {
    expect(instanceOf('web.instance-3c0b6f2a-d0cb-11ea-a6e9-0242ac110002._app.1')).toBe('web.instance-3c0b6f2a-d0cb-11ea-a6e9-0242ac110002');
    expect(instanceOf('web.instance-3c0b._app.12')).toBe('web.instance-3c0b');
    expect(instanceOf('web.3c0b6f2a-d0cb-11ea')).toBe('web.3c0b6f2a-d0cb-11ea');
  });
});
