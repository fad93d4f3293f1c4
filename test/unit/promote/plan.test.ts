import { describe, expect, it } from 'vitest';
import { alreadyThere, pickSource, promoteRoute, promotionFacts, unhealthyReason } from '../../../src/promote/plan.js';
import { projectTargets } from '../../../src/config/targets.js';
import { deployTargets } from '../../../src/config/targets.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { OperationFailedError, UsageError } from '../../../src/errors.js';
import type { AppInfo } from '../../../src/marathon/types.js';

const targets = projectTargets(
  deployTargets(
    resolveConfig({
      registry: '127.0.0.1:5000',
      environments: { staging: { url: 'http://s:1', appIdPrefix: '/staging' }, production: { url: 'http://p:1' }, dr: { url: 'http://d:1' } },
      buildbot: { url: 'http://b:8010/', workers: [{ name: 'w' }] },
      projects: [{ name: 'hello', repo: 'r', deploy: { environments: { staging: { branches: ['master'] }, production: { promoteFrom: 'staging', instances: 4 }, dr: { promoteFrom: 'production' } } } }],
    }),
  ),
  'hello',
  'test',
);

const V = '2026-12-01T20:00:00.000Z';
const DIGEST = `sha256:${'a'.repeat(64)}`;
function app(over: Partial<AppInfo> = {}, tasks: { version?: string; alive?: boolean; state?: string }[] = [{}, {}]): AppInfo {
  return {
    id: '/staging/hello',
    version: V,
    versionInfo: { lastConfigChangeAt: V, lastScalingAt: V },
    instances: tasks.length,
    container: { type: 'DOCKER', docker: { image: '127.0.0.1:5000/hello:hello-7-master-1.0' } },
    healthChecks: [{ protocol: 'MESOS_HTTP' }],
    labels: { 'bbm.build-number': '7', 'bbm.commit': 'abcdef1234567', 'bbm.build-url': 'http://b:8010/#/builders/1/builds/7', 'bbm.branch': 'master' },
    deployments: [],
    tasks: tasks.map((t, i) => ({ id: `t${i}`, appId: '/staging/hello', host: 'h', ports: [1000 + i], state: t.state ?? 'TASK_RUNNING', version: t.version ?? V, healthCheckResults: [{ alive: t.alive ?? true }] })) as AppInfo['tasks'],
    ...over,
  };
}

describe('promoteRoute', () => {
  it.each<[string, string | undefined, string | RegExp]>([
    ['production', undefined, 'staging'],
    ['production', 'staging', 'staging'],
    ['dr', undefined, 'production'],
    ['staging', undefined, /fed by the deploy branches master.*not by promotion/],
    ['qa', undefined, /no environment "qa"/],
    ['production', 'dr', /promoted from staging, not from dr/],
  ])('--to %s --from %s → %s', (to, from, expected) => {
    if (typeof expected === 'string') expect(promoteRoute(targets, to, from).from).toBe(expected);
    else expect(() => promoteRoute(targets, to, from)).toThrow(expect.objectContaining({ constructor: UsageError, message: expect.stringMatching(expected) }));
  });
});

describe('pickSource', () => {
  it('takes what runs healthy, with its build facts', () => {
    const s = pickSource({ env: 'staging', appId: '/staging/hello', app: app() });
    expect(s).toMatchObject({ image: '127.0.0.1:5000/hello:hello-7-master-1.0', buildNumber: '7', commit: 'abcdef1234567', running: true, version: V });
  });

  it.each<[string, AppInfo | null, RegExp]>([
    ['nothing deployed', null, /nothing runs in staging/],
    ['an unhealthy instance', app({}, [{}, { alive: false }]), /1 of 2 instances of its current version are healthy/],
    ['a deployment running', app({ deployments: [{ id: 'd1' }] }), /a deployment is running on it \(d1\)/],
    ['old tasks left', app({}, [{}, {}, { version: '2026-11-01T00:00:00.000Z' }]), /tasks of older versions/],
    ['scaled to zero', app({ instances: 0 }, []), /scaled to 0/],
  ])('refuses (exit 1) when the source has %s', (_n, a, message) => {
    expect(() => pickSource({ env: 'staging', appId: '/staging/hello', app: a })).toThrow(expect.objectContaining({ constructor: OperationFailedError, message: expect.stringMatching(message) }));
  });

  it('finds build N in the history, and refuses a build that never ran there', () => {
    const old = { version: '2026-11-30T00:00:00.000Z', definition: { id: '/staging/hello', container: { docker: { image: '127.0.0.1:5000/hello:hello-5-master-0.9' } }, labels: { 'bbm.build-number': '5', 'bbm.commit': 'not a commit; rm -rf' } } };
    const s = pickSource({ env: 'staging', appId: '/staging/hello', app: app(), build: '5', history: [old] });
    expect(s).toMatchObject({ image: '127.0.0.1:5000/hello:hello-5-master-0.9', running: false, commit: null });
    expect(() => pickSource({ env: 'staging', appId: '/staging/hello', app: app(), build: '6', history: [old] })).toThrow(/build 6 did not run in staging/);
    // build N that runs now must be healthy like any source
    expect(() => pickSource({ env: 'staging', appId: '/staging/hello', app: app({}, [{ alive: false }]), build: '7' })).toThrow(/not healthy/);
  });
});

describe('alreadyThere and the promotion facts', () => {
  const pinned = `127.0.0.1:5000/hello@${DIGEST}`;
  it.each<[string, AppInfo | null, boolean]>([
    ['not deployed', null, false],
    ['runs a tag', app(), false],
    ['runs the digest, healthy', app({ container: { docker: { image: pinned } } }), true],
    ['runs the digest, unhealthy', app({ container: { docker: { image: pinned } } }, [{ alive: false }]), false],
  ])('%s → %s', (_n, a, expected) => {
    expect(alreadyThere(a, pinned)).toBe(expected);
  });

  it('carries the source build, its URL and tag, and names the source environment', () => {
    const s = pickSource({ env: 'staging', appId: '/staging/hello', app: app() });
    const { facts, labels } = promotionFacts(s, pinned, 'hello', 'production', 'http://b:8010/#/builders/3/builds/1');
    expect(facts).toEqual({ image: pinned, project: 'hello', env: 'production', tag: 'hello-7-master-1.0', buildNumber: '7', commit: 'abcdef1234567', branch: 'master', buildUrl: 'http://b:8010/#/builders/1/builds/7' });
    expect(labels).toEqual({ 'bbm.promoted-from': 'staging', 'bbm.promoted-from-version': V, 'bbm.promotion-url': 'http://b:8010/#/builders/3/builds/1' });
  });

  it('unhealthyReason is null only for a fully healthy current version', () => {
    expect(unhealthyReason(app())).toBeNull();
    expect(unhealthyReason(app({}, [{ state: 'TASK_STAGING' }]))).toMatch(/0 of 1/);
  });
});
