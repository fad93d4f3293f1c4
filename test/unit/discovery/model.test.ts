import { describe, expect, it } from 'vitest';
import { buildEndpoints, endpointsJson, formatEndpointLines } from '../../../src/discovery/model.js';
import { safeAppId } from '../../../src/marathon/app-id.js';
import { isTaskHealthy } from '../../../src/marathon/task-health.js';
import type { AppInfo, Task } from '../../../src/marathon/types.js';
import { alive, app, failing, task, tcpCheck } from './fixtures.js';

describe('safeAppId', () => {
  it.each([
    ['/webapp', 'webapp'],
    ['/tools/docker/registry', 'tools_docker_registry'],
    ['webapp', 'webapp'],
  ])('%s → %s', (id, safe) => expect(safeAppId(id)).toBe(safe));
});

describe('isTaskHealthy', () => {
  const withChecks = app('/a', [10001], [], { healthChecks: [tcpCheck] });
  const twoChecks = app('/a', [10001], [], { healthChecks: [tcpCheck, tcpCheck] });
  const noChecks = app('/a', [10001], []);
  const cases: [string, AppInfo, Partial<Task>, boolean][] = [
    ['running, app without checks', noChecks, {}, true],
    ['staging, app without checks', noChecks, { state: 'TASK_STAGING' }, false],
    ['killing, app without checks', noChecks, { state: 'TASK_KILLING' }, false],
    ['running, alive', withChecks, { healthCheckResults: [alive()] }, true],
    ['running, in grace period (no result yet)', withChecks, { healthCheckResults: [] }, false],
    ['running, results missing entirely', withChecks, {}, false],
    ['running, failing', withChecks, { healthCheckResults: [failing()] }, false],
    ['running, one of two checks has a result', twoChecks, { healthCheckResults: [alive()] }, false],
    ['running, one of two alive', twoChecks, { healthCheckResults: [alive(), failing()] }, false],
    ['running, both alive', twoChecks, { healthCheckResults: [alive(), alive()] }, true],
    ['killing but still alive', withChecks, { state: 'TASK_KILLING', healthCheckResults: [alive()] }, false],
  ];
  it.each(cases)('%s', (_name, a, extra, expected) => {
    expect(isTaskHealthy(a, task('/a', 'h', [31000], extra))).toBe(expected);
  });
});

describe('buildEndpoints and the seed line format', () => {
  it('prints one line per service port with running tasks sorted by host and port', () => {
    const apps = [
      app('/webapp', [20000], [
        task('/webapp', 'compute-slave-6.example.com', [31145]),
        task('/webapp', 'compute-slave-4.example.com', [31156]),
        task('/webapp', 'compute-slave-5.example.com', [31153]),
        task('/webapp', 'compute-slave-7.example.com', [31100], { state: 'TASK_STAGING' }),
      ]),
    ];
    expect(formatEndpointLines(buildEndpoints(apps))).toEqual([
      'webapp 20000 compute-slave-4.example.com:31156 compute-slave-5.example.com:31153 compute-slave-6.example.com:31145',
    ]);
  });

  it('handles several ports, groups, apps without tasks, and sorts apps by id', () => {
    const apps = [
      app('/z/api', [10002, 10003], [task('/z/api', '127.0.0.1', [31001, 31002])]),
      app('/a', [10001], []),
    ];
    expect(formatEndpointLines(buildEndpoints(apps))).toEqual(['a 10001', 'z_api 10002 127.0.0.1:31001', 'z_api 10003 127.0.0.1:31002']);
  });

  it('reads host-networking portDefinitions', () => {
    const a: AppInfo = { id: '/h', version: 'v', portDefinitions: [{ port: 10050 }], tasks: [task('/h', '10.0.0.1', [10050])] };
    expect(formatEndpointLines(buildEndpoints([a]))).toEqual(['h 10050 10.0.0.1:10050']);
  });

  it('skips a task without a host port for that index', () => {
    const apps = [app('/x', [10001, 10002], [task('/x', '10.0.0.1', [31000])])];
    expect(formatEndpointLines(buildEndpoints(apps))).toEqual(['x 10001 10.0.0.1:31000', 'x 10002']);
  });

  it('a hostile host name cannot add fields or lines', () => {
    const apps = [app('/x', [10001], [task('/x', 'evil\nhost 1.2.3.4:80', [31000])])];
    const lines = formatEndpointLines(buildEndpoints(apps));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split(' ')).toHaveLength(3);
  });

  it('--json carries health per task', () => {
    const apps = [
      app('/x', [10001], [task('/x', '10.0.0.1', [31000], { healthCheckResults: [alive()] }), task('/x', '10.0.0.2', [31001], { healthCheckResults: [failing()] })], {
        healthChecks: [tcpCheck],
      }),
    ];
    const json = endpointsJson(buildEndpoints(apps));
    expect(json).toEqual([
      {
        appId: '/x',
        servicePort: 10001,
        portIndex: 0,
        protocol: 'tcp',
        tasks: [
          expect.objectContaining({ host: '10.0.0.1', port: 31000, healthy: true }),
          expect.objectContaining({ host: '10.0.0.2', port: 31001, healthy: false }),
        ],
      },
    ]);
  });
});
