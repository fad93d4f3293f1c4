import { describe, expect, it } from 'vitest';
import type { ResolvedApp } from '../../../src/devcluster/app.js';
import { sameConfig } from '../../../src/devcluster/app.js';
import { resolveApp } from '../../../src/devcluster/normalize.js';
import { unplaceableReason } from '../../../src/devcluster/placement.js';
import { sharedJson } from '../../support/shared.js';
import { components, describeWith } from '../../support/integration.js';

const ok = (body: unknown, id = '/x', previous?: ResolvedApp) => {
  const r = resolveApp(body, { id, ...(previous ? { previous } : {}), partial: true });
  if (!r.ok) throw new Error(JSON.stringify(r.body));
  return r.app;
};
const rejected = (body: unknown, id = '/x') => {
  const r = resolveApp(body, { id });
  if (r.ok) throw new Error('accepted');
  return r.body;
};

/** Suites that check against Marathon's reference data (schema, recorded bodies): skipped with a message without it, failing in CI. */
const withReference = await describeWith([components.reference]);

withReference('resolveApp on the recorded examples', () => {
  it('migrates the recorded legacy form to exactly what the 1.5 form gives', () => {
    const legacy = ok(sharedJson('marathon', 'examples', 'app-definition.docker-bridge.legacy-1.4.json'));
    const modern = ok(sharedJson('marathon', 'examples', 'app-definition.docker-bridge.json'));
    expect(legacy).toEqual(modern);
    expect(modern.container!.portMappings).toEqual([
      { containerPort: 8080, hostPort: 0, labels: {}, protocol: 'tcp', servicePort: 9000 },
      { containerPort: 161, hostPort: 0, labels: {}, protocol: 'udp', servicePort: 0 },
    ]);
    expect(modern.portDefinitions).toBeUndefined();
    expect(modern.healthChecks).toEqual(sharedJson<{ app: ResolvedApp }>('marathon', 'examples', 'get-app-response.v1.10-shape.constructed.json').app.healthChecks);
  });
});

describe('resolveApp: defaults and migration', () => {
  it('fills Marathon 1.10 defaults', () => {
    const app = ok({ cmd: 'sleep 1' });
    expect(app).toMatchObject({
      id: '/x', cmd: 'sleep 1', instances: 1, cpus: 1, mem: 128, disk: 0, gpus: 0, backoffFactor: 1.15, backoffSeconds: 1,
      maxLaunchDelaySeconds: 300, networks: [{ mode: 'host' }], requirePorts: false, healthChecks: [], labels: {},
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 }, killSelection: 'YOUNGEST_FIRST', role: '*',
      portDefinitions: [{ port: 0, protocol: 'tcp', name: 'default', labels: {} }],
    });
    expect(ok({ cmd: 'x', portDefinitions: [] }).portDefinitions).toEqual([]);
    expect(ok({ cmd: 'x', ports: [0, 0] }).portDefinitions).toEqual([{ port: 0, protocol: 'tcp', labels: {} }, { port: 0, protocol: 'tcp', labels: {} }]);
  });

  it('merges a partial update over the previous definition; a legacy network replaces networks', () => {
    const prev = ok({ cmd: 'a', instances: 2, networks: [{ mode: 'container/bridge' }], container: { type: 'DOCKER', docker: { image: 'i' } } });
    const next = ok({ instances: 5 }, '/x', prev);
    expect(next.instances).toBe(5);
    expect(next.cmd).toBe('a');
    expect(sameConfig(prev, next)).toBe(true);
    const legacyHost = ok({ container: { type: 'DOCKER', docker: { image: 'i', network: 'HOST' } } }, '/x', prev);
    expect(legacyHost.networks).toEqual([{ mode: 'host' }]);
    expect(sameConfig(prev, ok({ cmd: 'b' }, '/x', prev))).toBe(false);
    const replaced = resolveApp({ cmd: 'z' }, { id: '/x', previous: prev, partial: false });
    expect(replaced.ok && replaced.app.instances).toBe(1);
  });

  it('ignores unknown fields', () => {
    expect(ok({ cmd: 'x', bogus: true })).not.toHaveProperty('bogus');
  });
});

describe('resolveApp: rejections with Marathon paths', () => {
  it.each([
    ['id not a string (typed read)', { id: 5, cmd: 'x' }, 'Invalid JSON', '/id', 'error.expected.jsstring'],
    ['uppercase body id', { id: 'webApp', cmd: 'x' }, 'Invalid JSON', '/id', 'error.pattern'],
    ['empty cmd', { cmd: '' }, 'Invalid JSON', '/cmd', 'error.minLength'],
    ['instances as a string', { cmd: 'x', instances: '3' }, 'Invalid JSON', '/instances', 'error.expected.jsnumber'],
    ['fractional instances', { cmd: 'x', instances: 1.5 }, 'Invalid JSON', '/instances', 'error.expected.int'],
    ['label value not a string', { cmd: 'x', labels: { a: 1 } }, 'Invalid JSON', '/labels/a', 'error.expected.jsstring'],
    ['health check protocol', { cmd: 'x', healthChecks: [{ protocol: 'SMTP' }] }, 'Invalid JSON', '/healthChecks(0)/protocol', 'error.expected.validenumvalue'],
    ['port mapping type', { cmd: 'x', container: { portMappings: [{ containerPort: 'a' }] } }, 'Invalid JSON', '/container/portMappings(0)/containerPort', 'error.expected.jsnumber'],
    ['nothing to run', { cpus: 1 }, 'Object is not valid', '/', "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."],
    ['mhc > 1', { cmd: 'x', upgradeStrategy: { minimumHealthCapacity: 1.5 } }, 'Object is not valid', '/upgradeStrategy/minimumHealthCapacity', 'is greater than 1'],
    ['moc < 0', { cmd: 'x', upgradeStrategy: { maximumOverCapacity: -1 } }, 'Object is not valid', '/upgradeStrategy/maximumOverCapacity', 'is less than 0'],
    ['hostPort out of range', { cmd: 'x', networks: [{ mode: 'container/bridge' }], container: { type: 'DOCKER', docker: { image: 'i' }, portMappings: [{ containerPort: 80, hostPort: 70000 }] } }, 'Object is not valid', '/container/portMappings(0)/hostPort', 'got 70000, expected between 0 and 65535'],
    ['bad protocol', { cmd: 'x', portDefinitions: [{ port: 0, protocol: 'sctp' }] }, 'Object is not valid', '/portDefinitions(0)/protocol', "Invalid protocol. Only 'udp', 'tcp' and 'udp,tcp' are allowed."],
    ['portIndex past the ports', { cmd: 'x', portDefinitions: [], healthChecks: [{ protocol: 'TCP' }] }, 'Object is not valid', '/healthChecks(0)', 'Health check port indices must address an element of the ports array or container port mappings.'],
    ['constraint arity', { cmd: 'x', constraints: [['hostname']] }, 'Object is not valid', '/constraints(0)', 'Each constraint must have either 2 or 3 fields'],
    ['UNIQUE with a value', { cmd: 'x', constraints: [['hostname', 'UNIQUE', 'a']] }, 'Object is not valid', '/constraints(0)', 'A UNIQUE constraint may not have a value'],
    ['MAX_PER not a number', { cmd: 'x', constraints: [['hostname', 'MAX_PER', 'two']] }, 'Object is not valid', '/constraints(0)', 'MAX_PER must have an integer value'],
    ['docker image empty', { container: { type: 'DOCKER', docker: { image: ' ' } } }, 'Object is not valid', '/container/docker/image', 'must not be empty'],
    ['legacy and 1.5 networking together', { cmd: 'x', networks: [{ mode: 'host' }], container: { type: 'DOCKER', docker: { image: 'i', network: 'HOST' } } }, 'Object is not valid', '/', 'container.docker.network may not be combined with networks: use networks only (Marathon 1.5+)'],
    ['uris and fetch together', { cmd: 'x', uris: ['a'], fetch: [{ uri: 'b' }] }, 'Object is not valid', '/', 'You cannot specify both uris and fetch fields'],
    ['id in URL', { cmd: 'x' }, 'Object is not valid', '/id', /must fully match regular expression/],
  ])('%s', (_name, body, message, path, error) => {
    const id = _name === 'id in URL' ? '/Bad_Id' : '/x';
    const b = rejected(body, id);
    expect(b.message).toBe(message);
    const d = b.details.find((x) => x.path === path);
    expect(d, JSON.stringify(b)).toBeDefined();
    expect(d!.errors.some((e) => (typeof error === 'string' ? e === error : error.test(e))), JSON.stringify(d)).toBe(true);
  });

  it('collects every problem at once', () => {
    const b = rejected({ cmd: 'x', cpus: -1, mem: -1, upgradeStrategy: { minimumHealthCapacity: 2 } });
    expect(b.details.map((d) => d.path).sort()).toEqual(['/cpus', '/mem', '/upgradeStrategy/minimumHealthCapacity']);
  });
});

describe('placement on the single agent', () => {
  const app = (extra: object) => ok({ cmd: 'x', ...extra });
  it.each([
    [{ constraints: [['hostname', 'UNIQUE']] }, 0, undefined],
    [{ constraints: [['hostname', 'UNIQUE']] }, 1, /UNIQUE/],
    [{ constraints: [['hostname', 'LIKE', '127\\.0\\.0\\.1']] }, 5, undefined],
    [{ constraints: [['hostname', 'LIKE', 'compute-slave-[4-6].example.com']] }, 0, /LIKE/],
    [{ constraints: [['hostname', 'UNLIKE', 'compute-.*']] }, 0, undefined],
    [{ constraints: [['hostname', 'MAX_PER', '2']] }, 2, /MAX_PER/],
    [{ constraints: [['hostname', 'CLUSTER', '127.0.0.1']] }, 3, undefined],
    [{ constraints: [['rack', 'GROUP_BY']] }, 0, /rack=<absent>/],
    [{ requirePorts: true, portDefinitions: [{ port: 31555 }] }, 0, /31555 already in use/],
  ])('%j with %d tasks', (extra, tasks, expected) => {
    const why = unplaceableReason(app(extra), '127.0.0.1', tasks, new Set([31555]));
    if (expected === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(expected);
  });
});
