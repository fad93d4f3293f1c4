/**
 * bbm devcluster against Marathon's recorded bodies (the reference data's examples, see test/support/shared.ts): the recorded
 * requests are sent as they are, and statuses and body shapes are compared with the recorded
 * responses. Runs the library API in-process with `pull: 'never'` (the recorded apps name images
 * such as python:3 that must never be fetched from here).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Devcluster } from '../../src/devcluster/index.js';
import { startDevcluster } from '../../src/devcluster/index.js';
import { removeClusterContainers } from '../support/devcluster.js';
import { components, describeWith } from '../support/integration.js';
import { appDefinitionErrors, call, collectEvents, deploymentGone, sharedJson, until } from './client.js';

const d = await describeWith([components.docker, components.reference]);

/** The JSON "shape": same keys at every level, same types at the leaves; arrays by their first element. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  return v === null ? 'null' : typeof v;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const example = <T = any>(f: string) => sharedJson<T>('marathon', 'examples', f); // eslint-disable-line @typescript-eslint/no-explicit-any

d('bbm devcluster conformance with recorded Marathon bodies', () => {
  let dc: Devcluster;
  let stateDir: string;
  const name = `conf-${process.pid}`;

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'bbm-dc-conf-'));
    dc = await startDevcluster({ host: '127.0.0.1', port: 0, stateDir, name, pull: 'never', heartbeatMs: 300 });
  });
  afterAll(async () => {
    await dc?.close();
    await removeClusterContainers(name);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('names itself in /v2/info with the keys Marathon has; /ping and /v2/leader answer', async () => {
    const info = await call(dc.url, 'GET', '/v2/info');
    expect(info.status).toBe(200);
    expect(info.json.name).toBe('bbm devcluster');
    expect(Object.keys(info.json).sort()).toEqual(Object.keys(example('get-info-response.json')).sort());
    expect(info.json.marathon_config.local_port_min).toBe(10000);
    expect(info.json.marathon_config.local_port_max).toBe(20000);
    const ping = await call(dc.url, 'GET', '/ping');
    expect([ping.status, ping.text, ping.headers.get('content-type')]).toEqual([200, 'pong', 'text/plain']);
    expect((await call(dc.url, 'GET', '/ping', undefined, { accept: 'application/json' })).json).toBe('pong');
    expect((await call(dc.url, 'GET', '/v2/leader')).json).toEqual({ leader: new URL(dc.url).host });
  });

  it('creates the recorded bridged app (201, deploymentId, version, header) and returns it in the 1.10 shape', async () => {
    const body = example('app-definition.docker-bridge.json');
    expect(appDefinitionErrors(body)).toEqual([]);
    const r = await call(dc.url, 'PUT', '/v2/apps/bridged-webapp', body);
    expect(r.status).toBe(201);
    expect(shape(r.json)).toEqual(shape(example('put-app-response.json')));
    expect(r.json.deploymentId).toMatch(UUID);
    expect(r.json.version).toMatch(ISO);
    expect(r.headers.get('marathon-deployment-id')).toBe(r.json.deploymentId);

    const got = await call(dc.url, 'GET', '/v2/apps/bridged-webapp');
    expect(got.status).toBe(200);
    const recorded = example('get-app-response.v1.10-shape.constructed.json').app;
    const app = got.json.app;
    const { tasks: _t, lastTaskFailure: _l, ...recordedDef } = recorded;
    const { tasks: _t2, lastTaskFailure: _l2, ...appDef } = app;
    expect(shape(appDef)).toEqual(shape(recordedDef));
    // same values where the recording is not about time or assignment
    for (const k of ['id', 'backoffFactor', 'backoffSeconds', 'cpus', 'disk', 'executor', 'instances', 'labels', 'maxLaunchDelaySeconds', 'mem', 'gpus', 'networks', 'requirePorts', 'healthChecks', 'upgradeStrategy', 'killSelection', 'unreachableStrategy', 'role'])
      expect(app[k], k).toEqual(recorded[k]);
    expect(app.container.docker).toEqual(recorded.container.docker);
    expect(app.container.portMappings[0]).toEqual(recorded.container.portMappings[0]); // servicePort 9000 kept as given
    expect(app.container.portMappings[1].servicePort).toBeGreaterThanOrEqual(10000); // 0 → assigned
    expect(app.versionInfo).toEqual({ lastScalingAt: r.json.version, lastConfigChangeAt: r.json.version });
    expect(app.deployments).toEqual([{ id: r.json.deploymentId }]);
    expect(app.lastTaskFailure ?? null).not.toBeUndefined();
  });

  it('lists the running deployment in the recorded shape and keeps it while tasks cannot start', async () => {
    const deps = await call(dc.url, 'GET', '/v2/deployments');
    expect(deps.status).toBe(200);
    const recorded = example('get-deployments-response.json')[0];
    expect(deps.json).toHaveLength(1);
    const dep = deps.json[0];
    expect(Object.keys(dep).sort()).toEqual(Object.keys(recorded).sort());
    expect(dep.steps).toEqual([{ actions: [{ action: 'StartApplication', app: '/bridged-webapp' }] }]);
    expect(dep.currentActions).toEqual([{ action: 'StartApplication', app: '/bridged-webapp', readinessCheckResults: [] }]);
    expect([dep.currentStep, dep.totalSteps]).toEqual([1, 1]);
    // python:3 is never pulled here: the launch fails and is recorded, the deployment stays
    await until('a failed launch', async () => (await call(dc.url, 'GET', '/v2/apps/bridged-webapp')).json.app.lastTaskFailure);
    const app = (await call(dc.url, 'GET', '/v2/apps/bridged-webapp')).json.app;
    expect(shape(app.lastTaskFailure)).toEqual(shape(example('get-app-response.v1.10-shape.constructed.json').app.lastTaskFailure));
    expect(app.lastTaskFailure.message).toMatch(/python:3 is not present/);
    expect((await call(dc.url, 'GET', '/v2/deployments')).json).toHaveLength(1);
  });

  it('answers 409 with the recorded body while the app is locked, and ?force=true overrides', async () => {
    const r = await call(dc.url, 'PUT', '/v2/apps/bridged-webapp', { instances: 1 });
    expect(r.status).toBe(409);
    const recorded = example('error-409-app-locked.json');
    expect(r.json.message).toBe(recorded.message);
    expect(shape(r.json)).toEqual(shape(recorded));
    const forced = await call(dc.url, 'PUT', '/v2/apps/bridged-webapp?force=true', { instances: 0 });
    expect(forced.status).toBe(200);
    await deploymentGone(dc.url, forced.json.deploymentId);
    expect((await call(dc.url, 'GET', '/v2/apps/bridged-webapp')).json.app.instances).toBe(0);
  });

  it('migrates the recorded legacy (1.4) form and returns it in the 1.5 form', async () => {
    const legacy = example('app-definition.docker-bridge.legacy-1.4.json');
    expect(appDefinitionErrors(legacy)).toEqual([]);
    expect(appDefinitionErrors({ ...legacy, id: 'legacy-webapp', instances: 0 })).toEqual([]);
    const r = await call(dc.url, 'PUT', '/v2/apps/legacy-webapp', { ...legacy, instances: 0 });
    expect(r.status).toBe(201);
    const a = (await call(dc.url, 'GET', '/v2/apps/legacy-webapp')).json.app;
    const b = (await call(dc.url, 'GET', '/v2/apps/bridged-webapp')).json.app;
    expect(a.networks).toEqual([{ mode: 'container/bridge' }]);
    expect(a.container.docker).toEqual({ forcePullImage: false, image: 'python:3', parameters: [], privileged: false });
    expect(a.container.portMappings.map((m: { containerPort: number }) => m.containerPort)).toEqual([8080, 161]);
    expect(a.portDefinitions).toBeUndefined();
    const { lastTaskFailure: _x, deployments: _d, ...bRest } = b;
    const { deployments: _d2, ...aRest } = a;
    expect(shape(aRest)).toEqual(shape(bRest));
    // both forms at once are rejected
    const both = await call(dc.url, 'PUT', '/v2/apps/both', { ...legacy, networks: [{ mode: 'container/bridge' }] });
    expect(both.status).toBe(422);
    expect(both.json.message).toBe('Object is not valid');
  });

  it('POST creates (201 with the app) and answers the recorded 409 when the id exists', async () => {
    const body = { id: '/existing_app'.replace('_', '-'), cmd: 'sleep 1000', instances: 0 };
    expect(appDefinitionErrors(body)).toEqual([]);
    const r = await call(dc.url, 'POST', '/v2/apps', body);
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('/v2/apps/existing-app');
    expect(r.json).toMatchObject({ id: '/existing-app', tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0, deployments: [{ id: r.headers.get('marathon-deployment-id') }] });
    const again = await call(dc.url, 'POST', '/v2/apps', body);
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ message: example('error-409-app-exists.json').message.replace('/existing_app', '/existing-app') });
  });

  it.each([
    ['malformed JSON', 'PUT', '/v2/apps/test', '{"id":"/test"', 400, 'error-400-json-parse.json'],
    ['an id that is not a string', 'POST', '/v2/apps', '{"id":123}', 422, 'error-422-invalid-json.json'],
    ['minimumHealthCapacity above 1', 'PUT', '/v2/apps/test', '{"cmd":"x","upgradeStrategy":{"minimumHealthCapacity":1.5}}', 422, 'error-422-validation.json'],
    ['an app without cmd, args or container', 'PUT', '/v2/apps/test', '{"cpus":1}', 422, 'error-422-validation.app-without-cmd.json'],
  ])('answers %s like the recording', async (_what, method, p, body, status, file) => {
    const r = await call(dc.url, method, p, body);
    expect(r.status).toBe(status);
    const recorded = example(file);
    expect(shape(r.json)).toEqual(shape(recorded));
    if (typeof recorded.details !== 'string') expect(r.json).toEqual(recorded);
    else expect(r.json.message).toBe(recorded.message);
  });

  it('answers the recorded 404 for a missing app', async () => {
    const r = await call(dc.url, 'GET', '/v2/apps/not_existent');
    expect(r.status).toBe(404);
    expect(r.json).toEqual(example('error-404-app-not-found.json'));
    expect((await call(dc.url, 'DELETE', '/v2/deployments/nope')).json).toEqual({ message: 'DeploymentPlan nope does not exist' });
  });

  it('rolls back by the recorded request body: 404 for an unknown version, a deployment for a stored one', async () => {
    const unknown = await call(dc.url, 'PUT', '/v2/apps/existing-app', example('put-app-rollback-request.json'));
    expect(unknown.status).toBe(404);
    const versions = (await call(dc.url, 'GET', '/v2/apps/existing-app/versions')).json;
    expect(shape(versions)).toEqual(shape(example('get-app-versions-response.json')));
    const first = versions.versions[0];
    const r = await call(dc.url, 'PUT', '/v2/apps/existing-app', { version: first });
    expect(r.status).toBe(200);
    expect(r.json.version).not.toBe(first);
    const mixed = await call(dc.url, 'PUT', '/v2/apps/existing-app', { version: first, cmd: 'x' });
    expect(mixed.status).toBe(422);
    expect(mixed.json.details[0].errors[0]).toMatch(/'version' field may only be combined with the 'id' field/);
    const stored = await call(dc.url, 'GET', `/v2/apps/existing-app/versions/${first}`);
    expect(stored.json).toMatchObject({ id: '/existing-app', cmd: 'sleep 1000', version: first });
  });

  it('rejects bad input with Marathon paths and keeps serving', async () => {
    const cases: [unknown, string, string | RegExp][] = [
      [{ cmd: 'x', container: { type: 'DOCKER', docker: { image: 'i' }, portMappings: [{ containerPort: 70000 }] }, networks: [{ mode: 'container/bridge' }] }, '/container/portMappings(0)/containerPort', /between 0 and 65535/],
      [{ cmd: 'x', healthChecks: [{ protocol: 'HTTP', portIndex: 3 }] }, '/healthChecks(0)', /port indices/],
      [{ cmd: 'x', constraints: [['hostname', 'LIKE']] }, '/constraints(0)', /must have a value/],
      [{ cmd: 'x', constraints: [['hostname', 'NEAR', 'a']] }, '/constraints(0)', /operator/],
      [{ cmd: 'x', constraints: [['hostname', 'LIKE', '[']] }, '/constraints(0)', /regular expression/],
      [{ cmd: 'x', upgradeStrategy: { maximumOverCapacity: -0.5 } }, '/upgradeStrategy/maximumOverCapacity', 'is less than 0'],
      [{ cmd: 'x', instances: -1 }, '/instances', /0 or more/],
      [{ cmd: 'x', healthChecks: [{ protocol: 'MESOS_TCP' }, { protocol: 'TCP' }] }, '/healthChecks', /mix|one Mesos/],
      // AppNormalization.scala NetworkTranslation refuses the docker network type NONE
      [{ cmd: 'x', container: { type: 'DOCKER', docker: { image: 'i', network: 'NONE', portMappings: [{ containerPort: 80 }] } } }, '/container/docker/network', /unsupported docker network type NONE/],
      [{ cmd: 'x', taskKillGracePeriodSeconds: -1 }, '/taskKillGracePeriodSeconds', /0 or more/],
      [{ cmd: 'x', healthChecks: [{ protocol: 'MESOS_TCP', delaySeconds: -1 }] }, '/healthChecks(0)/delaySeconds', /0 or more/],
    ];
    for (const [body, where, message] of cases) {
      const r = await call(dc.url, 'PUT', '/v2/apps/bad', body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      const detail = (r.json.details as { path: string; errors: string[] }[]).find((x) => x.path === where);
      expect(detail, `${JSON.stringify(body)} → ${JSON.stringify(r.json)}`).toBeDefined();
      expect(detail!.errors.join(' ')).toMatch(message);
    }
    const typed = await call(dc.url, 'PUT', '/v2/apps/bad', { cmd: 'x', instances: 'three', container: { portMappings: [{ hostPort: '80' }] } });
    expect(typed.json).toEqual({
      message: 'Invalid JSON',
      details: [
        { path: '/instances', errors: ['error.expected.jsnumber'] },
        { path: '/container/portMappings(0)/hostPort', errors: ['error.expected.jsnumber'] },
      ],
    });
    const upper = await call(dc.url, 'PUT', '/v2/apps/webApp', { cmd: 'x' });
    expect(upper.status).toBe(422);
    expect(upper.json.details[0].path).toBe('/id');
    const hostile = await call(dc.url, 'PUT', `/v2/apps/${encodeURIComponent('a;touch /tmp/pwned $(id)')}`, { cmd: 'x' });
    expect(hostile.status).toBe(422);
    const big = await call(dc.url, 'PUT', '/v2/apps/big', JSON.stringify({ cmd: 'x', labels: { a: 'y'.repeat(2 * 1024 * 1024) } }));
    expect(big.status).toBe(413);
    expect(big.json.message).toMatch(/larger than/);
    const empty = await call(dc.url, 'PUT', '/v2/apps/empty', '');
    expect([empty.status, empty.json.message]).toEqual([400, 'Please specify data in JSON format']);
    // unknown fields are ignored, as Marathon does
    // (the 1.7 schema forbids unknown fields; 1.10's RAML types allow them and the readers drop them:
    // the only schema complaint about this body is that extra field)
    const withUnknown = { id: '/unknown-fields', cmd: 'sleep 1', instances: 0, bogus: 1 };
    expect(appDefinitionErrors(withUnknown)).toEqual(['/ must NOT have additional properties']);
    const unknown = await call(dc.url, 'PUT', '/v2/apps/unknown-fields', { ...withUnknown, __proto__: { x: 1 } });
    expect(unknown.status).toBe(201);
    expect((await call(dc.url, 'GET', '/v2/apps/unknown-fields')).json.app.bogus).toBeUndefined();
    expect((await call(dc.url, 'GET', '/v2/info')).status).toBe(200);
  });

  it('serves /v2/events only for exactly Accept: text/event-stream, filters by event_type (event_stream_attached too)', async () => {
    for (const accept of ['text/event-stream, */*', 'application/json', '*/*']) {
      const r = await call(dc.url, 'GET', '/v2/events', undefined, { accept });
      expect(r.status, accept).toBe(405);
      expect(r.text).toMatch(/HTTP method GET is not supported by this URL/);
    }
    // event_stream_attached goes over the bus like any event (HttpEventStreamHandleActor.preStart):
    // every stream sees it, as its event_type filter allows. An unfiltered stream shows when the
    // filtered one is subscribed.
    const all = collectEvents(dc.url);
    await until('attached', async () => all.events.some((e) => e.event === 'event_stream_attached'), 20_000);
    const only = collectEvents(dc.url, '?event_type=api_post_event&event_type=deployment_success');
    await until('the filtered stream attached', async () => {
      if (only.failure()) throw only.failure();
      return all.events.filter((e) => e.event === 'event_stream_attached').length === 2;
    }, 20_000);
    const attachedOnly = collectEvents(dc.url, '?event_type=event_stream_attached');
    await until('its own attach event', async () => attachedOnly.events.length > 0, 20_000);
    expect(attachedOnly.events[0]!.data).toMatchObject({ eventType: 'event_stream_attached', remoteAddress: expect.any(String) });
    attachedOnly.stop();
    await until('event_stream_detached', async () => all.events.some((e) => e.event === 'event_stream_detached'), 20_000);
    all.stop();
    expect(appDefinitionErrors({ id: '/events-app', cmd: 'sleep 1', instances: 0 })).toEqual([]);
    const r = await call(dc.url, 'PUT', '/v2/apps/events-app', { cmd: 'sleep 1', instances: 0 });
    await deploymentGone(dc.url, r.json.deploymentId);
    await until('deployment_success', async () => only.events.some((e) => e.event === 'deployment_success'));
    // heartbeats: a bare CRLF between frames (every 10 s by default; 300 ms in this suite)
    await until('a heartbeat', async () => /\r\n\r\n\r\n/.test(only.raw()), 20_000);
    only.stop();
    expect(new Set(only.events.map((e) => e.event))).toEqual(new Set(['api_post_event', 'deployment_success']));
    const post = only.events.find((e) => e.event === 'api_post_event')!.data;
    expect(post).toMatchObject({ eventType: 'api_post_event', uri: '/v2/apps/events-app', appDefinition: { id: '/events-app' } });
    expect(post.timestamp).toMatch(ISO);
    const recorded = example('events.v1.10-shape.constructed.json');
    expect(Object.keys(post).sort()).toEqual(Object.keys(recorded.api_post_event).sort());
    const success = only.events.find((e) => e.event === 'deployment_success')!.data;
    expect(shape(success)).toEqual(shape(recorded.deployment_success));
  });
});

describe('shape()', () => {
  it('tells different shapes apart', () => {
    expect(shape({ a: 1, b: [{ c: 'x' }] })).toEqual(shape({ b: [{ c: 'y' }], a: 2 }));
    expect(shape({ a: 1 })).not.toEqual(shape({ a: '1' }));
    expect(shape({ a: 1 })).not.toEqual(shape({ a: 1, b: 2 }));
  });
});
