import { beforeAll, describe, expect, it } from 'vitest';
import { planDeploy, BUILD_LABELS, type DeployOptions } from '../../../src/deploy/plan.js';
import { countVersion } from '../../../src/deploy/follow.js';
import { pickRollbackVersion } from '../../../src/deploy/rollback.js';
import { buildStatus, formatStatus } from '../../../src/deploy/status.js';
import type { AppInfo } from '../../../src/marathon/types.js';
import { appDefinitionErrors } from '../../support/schema.js';
import { sharedJson } from '../../support/shared.js';
import { components, describeWith } from '../../support/integration.js';

const options: DeployOptions = { force: false, strict: false, keepInstances: false, rollback: true, timeoutSeconds: 600 };
const template = {
  id: 'web',
  cmd: 'exec httpd -f -p $PORT0 -h /www',
  instances: 2,
  networks: [{ mode: 'container/bridge' }],
  container: { type: 'DOCKER', docker: { image: '${image}' }, portMappings: [{ containerPort: 8080, hostPort: 0 }] },
  healthChecks: [{ protocol: 'MESOS_HTTP', portIndex: 0, gracePeriodSeconds: 60 }],
  labels: { team: 'a', 'bbm.branch': 'stale' },
  taskKillGracePeriodSeconds: 5,
};
const facts = { image: '127.0.0.1:5000/web:web-7-main-1.0', project: 'web', buildNumber: '7', branch: 'main', commit: 'abc', buildUrl: 'http://bb/b/7' };

/** Suites that check against Marathon's reference data (schema, recorded bodies): skipped with a message without it, failing in CI. */
const withReference = await describeWith([components.reference]);

describe('planDeploy', () => {
  it('fills, labels, normalises the id and asks for a full replacement', () => {
    const plan = planDeploy({ template, facts, options });
    expect(plan.blocking).toEqual([]);
    expect(plan.appId).toBe('/web');
    expect(plan.definition.id).toBe('/web');
    expect(plan.definition.container?.docker?.image).toBe(facts.image);
    expect(plan.definition.labels).toEqual({
      team: 'a',
      [BUILD_LABELS.image]: facts.image,
      [BUILD_LABELS.project]: 'web',
      [BUILD_LABELS.buildNumber]: '7',
      [BUILD_LABELS.branch]: 'main',
      [BUILD_LABELS.commit]: 'abc',
      [BUILD_LABELS.buildUrl]: 'http://bb/b/7',
    });
    expect(plan.request).toEqual({ method: 'PUT', path: '/v2/apps/web', query: { force: false, partialUpdate: false } });
    // the template object is not modified
    expect(template.id).toBe('web');
    expect(template.labels).toEqual({ team: 'a', 'bbm.branch': 'stale' });
    // serialisable: a dry run prints exactly this
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('warnings block only with --strict; errors always', () => {
    const warned = { ...template, healthChecks: [{ protocol: 'TCP', gracePeriodSeconds: 60 }] };
    expect(planDeploy({ template: warned, facts, options }).blocking).toEqual([]);
    const strict = planDeploy({ template: warned, facts, options: { ...options, strict: true } });
    expect(strict.blocking.map((p) => p.path)).toEqual(['/healthChecks(0)/protocol']);
    const bad = planDeploy({ template: { ...template, id: 'Web_App' }, facts, options });
    expect(bad.blocking.map((p) => p.message)).toEqual([expect.stringMatching(/not a valid Marathon app id.*\[id-invalid\]/)]);
  });

  it('an unknown placeholder, a bad --image or a "$" left in the image blocks', () => {
    expect(planDeploy({ template: { ...template, cmd: '${nope}' }, facts, options }).blocking.map((p) => p.path)).toEqual(['/cmd']);
    expect(planDeploy({ template, facts: { image: 'Bad Image' }, options }).blocking.map((p) => p.path)).toContain('--image');
    const dollar = planDeploy({ template: { ...template, container: { docker: { image: 'r/$other' } } }, facts, options });
    expect(dollar.blocking.map((p) => p.path)).toEqual(['/container/docker/image']);
    expect(planDeploy({ template: [], facts, options }).blocking.map((p) => p.path)).toEqual(['/']);
  });

  it('--keep-instances takes the running count; a first deploy keeps the definition’s', () => {
    const current = { id: '/web', version: 'v', instances: 5 } as AppInfo;
    const kept = planDeploy({ template, facts, options: { ...options, keepInstances: true }, current });
    expect(kept.definition.instances).toBe(5);
    expect(kept.notes.join('\n')).toMatch(/keeping the running instance count 5/);
    expect(planDeploy({ template, facts, options: { ...options, keepInstances: true }, current: null }).definition.instances).toBe(2);
    expect(planDeploy({ template, facts, options, current }).definition.instances).toBe(2);
  });

  it('--force goes into the request', () => {
    expect(planDeploy({ template, facts, options: { ...options, force: true } }).request.query).toEqual({ force: true, partialUpdate: false });
  });
});

describe('countVersion (the health gate)', () => {
  it('a task with a failing check, or without results yet, is not healthy', () => {
    const base = { id: '/a', version: 'v2', instances: 3, healthChecks: [{ protocol: 'MESOS_HTTP' as const }] };
    const task = (id: string, version: string, alive?: boolean) => ({
      id,
      appId: '/a',
      host: 'h',
      ports: [1],
      servicePorts: [],
      state: 'TASK_RUNNING' as const,
      version,
      healthCheckResults: alive === undefined ? [] : [{ alive, consecutiveFailures: 0, firstSuccess: null, lastFailure: null, lastSuccess: null, instanceId: id }],
    });
    const c = countVersion({ ...base, tasks: [task('1', 'v2', true), task('2', 'v2', false), task('3', 'v2'), task('4', 'v1', true)] }, 'v2');
    expect(c).toEqual({ instances: 3, running: 3, healthy: 1, old: 1, staged: 0 });
  });
});

withReference('planDeploy against Marathon’s schema', () => {
  it('the planned definition is valid for Marathon’s AppDefinition schema', () => {
    expect(appDefinitionErrors(planDeploy({ template, facts, options }).definition)).toEqual([]);
  });
});

withReference('countVersion and status (the health gate, on the recorded 1.10 app)', () => {
  let app: AppInfo;
  beforeAll(() => {
    app = sharedJson<{ app: AppInfo }>('marathon', 'examples', 'get-app-response.v1.10-shape.constructed.json').app;
  });

  it('counts the recorded 1.10 app', () => {
    const c = countVersion(app, app.version);
    expect(c.instances).toBe(app.instances);
    expect(c.running).toBe((app.tasks ?? []).filter((t) => t.state === 'TASK_RUNNING' && t.version === app.version).length);
    expect(c.healthy).toBeLessThanOrEqual(c.running);
    expect(countVersion(app, 'another').running).toBe(0);
  });

  it('status text is one line per fact and never carries control characters from Marathon', () => {
    const s = buildStatus({ ...app, lastTaskFailure: { message: 'boom\n\u001b[31mred\r\nmore', state: 'TASK_FAILED' } }, ['2020-01-01T00:00:00.000Z', app.version], []);
    const lines = formatStatus(s);
    for (const l of lines) expect(l).not.toMatch(/[\u0000-\u001f]/);
    expect(lines.join('\n')).toContain('← current configuration');
  });
});

describe('pickRollbackVersion', () => {
  const versions = ['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z'];
  it.each<[string, string | undefined, string]>([
    ['2024-01-03T00:00:00.000Z', undefined, '2024-01-02T00:00:00.000Z'],
    ['2024-01-02T00:00:00.000Z', undefined, '2024-01-01T00:00:00.000Z'],
    ['2024-01-03T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
    ['2024-01-03T00:00:00.000Z', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z'],
  ])('current %s, --to %s → %s', (current, to, expected) => expect(pickRollbackVersion(versions, current, to, '/a')).toBe(expected));

  it('an unknown --to lists what Marathon keeps; nothing older is an operation failure', () => {
    expect(() => pickRollbackVersion(versions, versions[2]!, '2023-01-01T00:00:00.000Z', '/a')).toThrow(/no such version/);
    expect(() => pickRollbackVersion(versions, versions[0]!, undefined, '/a')).toThrow(/no version older/);
  });
});
