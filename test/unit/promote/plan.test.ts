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

  // Build 7 runs now at V, with no record: build 6 was unhealthy when 7 replaced it. The stored
  // versions, newest first: build 6 (records build 5's newest version), build 5 (a scale: the same
  // definition), build 5 (records build 4's version), build 4 (no record: build 3 was not healthy
  // when it came), build 3.
  const ver = (h: number) => `2026-12-01T1${h}:00:00.000Z`;
  const stored = (h: number, build: string, record: number | null, extra: Record<string, string> = {}) => ({
    version: ver(h),
    definition: {
      id: '/staging/hello',
      container: { docker: { image: `127.0.0.1:5000/hello:hello-${build}-master` } },
      labels: { 'bbm.build-number': build, ...(record !== null ? { 'bbm.replaced-healthy-version': ver(record) } : {}), ...extra },
    },
  });
  const history = [stored(6, '6', 5), stored(5, '5', 3, { 'bbm.commit': 'not a commit; rm -rf' }), stored(4, '5', 3), stored(3, '4', null), stored(2, '3', null)];

  it.each<[string, { build: string; app?: AppInfo; allowUnverified?: boolean }, { version: string; verified: boolean } | RegExp]>([
    ['build N recorded healthy: its newest recorded version', { build: '5' }, { version: ver(5), verified: true }],
    ['an older build recorded healthy', { build: '4' }, { version: ver(3), verified: true }],
    ['build N stored but never recorded healthy: refused, naming the known good builds', { build: '6' }, /build 6 is among the versions .* \(version 2026-12-01T16:00:00.000Z\), but nothing records that it ran there healthy/],
    ['the oldest, never recorded', { build: '3' }, /build 3 is among the versions/],
    ['with --allow-unverified: its newest stored version, marked unverified', { build: '6', allowUnverified: true }, { version: ver(6), verified: false }],
    ['--allow-unverified does not reach a build that never ran there', { build: '9', allowUnverified: true }, /build 9 did not run in staging/],
    ['a build that never ran there', { build: '9' }, /build 9 did not run in staging \(\/staging\/hello runs build 7\)/],
    ['build N running now but unhealthy: refused, though an earlier version of it was recorded healthy', { build: '5', app: app({ labels: { 'bbm.build-number': '5' } }, [{ alive: false }]) }, /not healthy/],
    ['build N running now and healthy: what runs', { build: '7' }, { version: V, verified: true }],
  ])('--build: %s', (_n, input, expected) => {
    const pick = () => pickSource({ env: 'staging', appId: '/staging/hello', app: input.app ?? app(), build: input.build, history, allowUnverified: input.allowUnverified });
    if (expected instanceof RegExp) expect(pick).toThrow(expect.objectContaining({ constructor: OperationFailedError, message: expect.stringMatching(expected) }));
    else expect(pick()).toMatchObject(expected);
  });

  it('a refusal names the builds known to have run healthy and the override', () => {
    try {
      pickSource({ env: 'staging', appId: '/staging/hello', app: app(), build: '6', history });
      expect.unreachable();
    } catch (e) {
      expect((e as OperationFailedError).hint).toBe('builds known to have run healthy in staging: 7 (running now), 5, 4; promote one of those with --build N, or add --allow-unverified to promote build 6 all the same');
    }
  });

  it('the found build carries its facts; a commit that is no plain id does not reach git', () => {
    expect(pickSource({ env: 'staging', appId: '/staging/hello', app: app(), build: '5', history })).toMatchObject({ image: '127.0.0.1:5000/hello:hello-5-master', running: false, commit: null, buildNumber: '5' });
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
    // promoted with --allow-unverified: the target says so
    expect(promotionFacts({ ...s, verified: false }, pinned, 'hello', 'production').labels).toMatchObject({ 'bbm.promoted-unverified': 'true' });
  });

  it('unhealthyReason is null only for a fully healthy current version', () => {
    expect(unhealthyReason(app())).toBeNull();
    expect(unhealthyReason(app({}, [{ state: 'TASK_STAGING' }]))).toMatch(/0 of 1/);
  });
});
