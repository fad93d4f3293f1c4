import { describe, expect, it } from 'vitest';
import { actionBuilder, activeBuilders, lastBuilds, type Build, type Builder } from '../../../src/console/model/builders.js';
import { appView, environmentViews, safeUrl, type DeployedApp } from '../../../src/console/model/deployments.js';

const app: DeployedApp = {
  id: '/shop/web',
  version: '2026-12-01T10:00:00.000Z',
  versionInfo: { lastScalingAt: '2026-12-01T10:00:00.000Z', lastConfigChangeAt: '2026-12-01T10:00:00.000Z' },
  instances: 2,
  container: { type: 'DOCKER', docker: { image: 'reg:5000/shop/web:web-7-main-v1.2.0' }, portMappings: [{ containerPort: 8080, hostPort: 0, servicePort: 10001, protocol: 'tcp' }] },
  healthChecks: [{}],
  labels: { 'bbm.project': 'web', 'bbm.build-number': '7', 'bbm.build-url': 'http://ci:8010/#/builders/2/builds/7', 'bbm.commit': 'c0ffee', 'bbm.branch': 'main', 'bbm.describe': 'v1.2.0' },
  digest: 'sha256:' + 'a'.repeat(64),
  tasks: [
    { id: 't1', appId: '/shop/web', host: 'h1', ports: [31001], state: 'TASK_RUNNING', version: '2026-12-01T10:00:00.000Z', healthCheckResults: [{ alive: true }] },
    { id: 't2', appId: '/shop/web', host: 'h2', ports: [31002], state: 'TASK_RUNNING', version: '2026-12-01T10:00:00.000Z', healthCheckResults: [{ alive: false }] },
    { id: 't3', appId: '/shop/web', host: 'h3', ports: [31003], state: 'TASK_STAGING', version: '2026-12-01T10:00:00.000Z' },
  ],
  deployments: [{ id: 'd1', version: '2026-12-01T10:00:00.000Z', currentStep: 1, totalSteps: 2, currentActions: [{ action: 'StartApplication', app: '/shop/web' }] }],
  history: [
    { version: '2026-12-01T10:00:00.000Z', image: 'reg:5000/shop/web:web-7', labels: { 'bbm.build-number': '7', 'bbm.project': 'web' } },
    { version: '2026-11-30T10:00:00.000Z', image: 'reg:5000/shop/web:web-6', labels: { 'bbm.build-number': '6', 'bbm.project': 'web', 'bbm.build-url': 'javascript:alert(1)' } },
  ],
} as unknown as DeployedApp;

describe('appView', () => {
  it('shows image, digest, build, health of the running version and endpoints as bbm endpoints does', () => {
    const v = appView(app);
    expect(v).toMatchObject({
      id: '/shop/web',
      project: 'web',
      image: 'reg:5000/shop/web:web-7-main-v1.2.0',
      digest: app.digest,
      build: { project: 'web', number: '7', url: 'http://ci:8010/#/builders/2/builds/7', commit: 'c0ffee', branch: 'main', describe: 'v1.2.0' },
      healthy: 1,
      total: 2,
      endpoints: [{ servicePort: 10001, addresses: ['h1:31001', 'h2:31002'] }],
      inProgress: 'deploying version 2026-12-01T10:00:00.000Z: step 1 of 2 (StartApplication)',
    });
    expect(v.history.map((h) => [h.build.number, h.current, h.build.url])).toEqual([
      ['7', true, null],
      ['6', false, null],
    ]);
  });

  it('an app without labels, tasks or deployments still reads', () => {
    const v = appView({ id: '/x', version: 'v1', instances: 0 } as DeployedApp);
    expect(v).toMatchObject({ project: null, image: null, digest: null, healthy: 0, total: 0, endpoints: [], inProgress: null, history: [] });
  });

  it('environments keep their errors and sort apps', () => {
    const envs = environmentViews([{ name: 'default', apps: [{ ...app, id: '/z' }, app] }, { name: 'prod', apps: [], error: 'Marathon could not be reached' }]);
    expect(envs.map((e) => [e.name, e.error, e.apps.map((a) => a.id)])).toEqual([
      ['default', null, ['/shop/web', '/z']],
      ['prod', 'Marathon could not be reached', []],
    ]);
  });
});

it.each([
  ['http://ci/#/builders/1/builds/2', 'http://ci/#/builders/1/builds/2'],
  ['https://ci.example/x', 'https://ci.example/x'],
  ['javascript:alert(1)', null],
  ['not a url', null],
  [null, null],
])('safeUrl(%j)', (url, safe) => expect(safeUrl(url)).toBe(safe));

describe('builders', () => {
  const b = (builderid: number, name: string, tags: string[], masterids = [1]): Builder => ({ builderid, name, tags, masterids });
  const builders = [b(1, 'web', ['team:a']), b(2, 'web-promote', []), b(3, 'web-rollback', ['team:a']), b(4, 'shop-promote', [], []), b(5, 'api-promote-rollback', [])];
  it.each([
    ['promote', 'web', 'web-promote'],
    ['rollback', 'web', 'web-rollback'],
    ['promote', 'shop', undefined], // removed from the configuration: no master
    ['rollback', 'api', undefined],
    ['rollback', 'api-promote', 'api-promote-rollback'],
    ['promote', 'we', undefined],
  ] as const)('%s of %s', (action, project, name) => expect(actionBuilder(builders, action, project)?.name).toBe(name));
  it('lists only configured builders by name and the newest build of each', () => {
    expect(activeBuilders(builders).map((x) => x.name)).toEqual(['api-promote-rollback', 'web', 'web-promote', 'web-rollback']);
    const build = (buildid: number, builderid: number) => ({ buildid, builderid, number: buildid }) as Build;
    expect([...lastBuilds([build(1, 1), build(5, 1), build(3, 2)]).entries()].map(([k, v]) => [k, v.buildid])).toEqual([
      [1, 5],
      [2, 3],
    ]);
  });
});
