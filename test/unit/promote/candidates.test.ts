import { describe, expect, it } from 'vitest';
import { promotionCandidates, type AppWithHistory } from '../../../src/promote/candidates.js';

/** Versions are times; build N runs image :bN. */
const v = (n: number) => `2026-12-01T20:${String(n).padStart(2, '0')}:00.000Z`;
const img = (b: string) => `127.0.0.1:5000/hello:b${b}`;
const labels = (build: string | null, record: number | null) => ({
  ...(build ? { 'bbm.build-number': build, 'bbm.commit': `c${build}` } : {}),
  ...(record ? { 'bbm.replaced-healthy-version': v(record) } : {}),
});

/**
 * The app at version `n` running `build`; history: [version, build, the version its record names]
 * oldest → newest (the current one included, as Marathon lists it).
 */
function app(n: number, build: string, history: [number, string | null, number | null][], health: { alive?: boolean; deploying?: boolean; instances?: number } = {}): AppWithHistory {
  const mine = history.find(([hn]) => hn === n);
  return {
    id: '/staging/hello',
    version: v(n),
    versionInfo: { lastConfigChangeAt: v(n), lastScalingAt: v(n) },
    instances: health.instances ?? 1,
    container: { type: 'DOCKER', docker: { image: img(build) } },
    healthChecks: [{ protocol: 'MESOS_HTTP' }],
    labels: labels(build, mine?.[2] ?? null),
    deployments: health.deploying ? [{ id: 'd1' }] : [],
    tasks: [{ id: 't', appId: '/staging/hello', host: 'h', ports: [1], state: 'TASK_RUNNING', version: v(n), healthCheckResults: [{ alive: health.alive ?? true }] }] as AppWithHistory['tasks'],
    history: [...history].reverse().map(([hn, b, r]) => ({ version: v(hn), image: b ? img(b) : 'x:1', labels: labels(b, r) })),
  } as AppWithHistory;
}

describe('promotionCandidates (the console’s suggestions: what bbm promote --build accepts)', () => {
  it.each<[string, AppWithHistory | null, [string, boolean][]]>([
    ['nothing deployed', null, []],
    ['one healthy build', app(1, '1', [[1, '1', null]]), [['1', true]]],
    ['the running build first, then the recorded ones newest first', app(3, '3', [[1, '1', null], [2, '2', 1], [3, '3', 2]]), [['3', true], ['2', false], ['1', false]]],
    ['a build with no record (failed, rolled back) is not offered', app(3, '1', [[1, '1', null], [2, '2', 1], [3, '1', null]]), [['1', true]]],
    ['a build replaced while unhealthy is not offered, though not rolled back', app(3, '3', [[1, '1', null], [2, '2', 1], [3, '3', null]]), [['3', true], ['1', false]]],
    ['an unhealthy running build is not offered; the recorded older ones are', app(2, '2', [[1, '1', null], [2, '2', 1]], { alive: false }), [['1', false]]],
    ['a deployment in progress: the running build is not offered', app(2, '2', [[1, '1', null], [2, '2', 1]], { deploying: true }), [['1', false]]],
    ['scaled to 0: not offered', app(1, '1', [[1, '1', null]], { instances: 0 }), []],
    ['versions without a build number are skipped', app(3, '3', [[1, null, null], [2, '2', 1], [3, '3', 2]]), [['3', true], ['2', false]]],
  ])('%s', (_name, a, expected) => {
    expect(promotionCandidates(a).map((c) => [c.build, c.running])).toEqual(expected);
  });

  it('carries the image, commit and version of each build', () => {
    expect(promotionCandidates(app(2, '2', [[1, '1', null], [2, '2', 1]]))).toEqual([
      { build: '2', image: img('2'), commit: 'c2', version: v(2), running: true },
      { build: '1', image: img('1'), commit: 'c1', version: v(1), running: false },
    ]);
  });
});
