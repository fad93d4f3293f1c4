import { describe, expect, it } from 'vitest';
import { promotionCandidates, type AppWithHistory } from '../../../src/promote/candidates.js';

/** Versions are times; build N runs image :bN. */
const v = (n: number) => `2026-12-01T20:${String(n).padStart(2, '0')}:00.000Z`;
const img = (b: string) => `127.0.0.1:5000/hello:b${b}`;
const entry = (n: number, build: string | null) => ({ version: v(n), image: build ? img(build) : 'x:1', labels: build ? { 'bbm.build-number': build, 'bbm.commit': `c${build}` } : {} });

/** The app at version `n` running `build`; history: [version, build] oldest → newest (the current one included, as Marathon lists it). */
function app(n: number, build: string, history: [number, string | null][], health: { alive?: boolean; deploying?: boolean; instances?: number } = {}): AppWithHistory {
  return {
    id: '/staging/hello',
    version: v(n),
    versionInfo: { lastConfigChangeAt: v(n), lastScalingAt: v(n) },
    instances: health.instances ?? 1,
    container: { type: 'DOCKER', docker: { image: img(build) } },
    healthChecks: [{ protocol: 'MESOS_HTTP' }],
    labels: { 'bbm.build-number': build, 'bbm.commit': `c${build}` },
    deployments: health.deploying ? [{ id: 'd1' }] : [],
    tasks: [{ id: 't', appId: '/staging/hello', host: 'h', ports: [1], state: 'TASK_RUNNING', version: v(n), healthCheckResults: [{ alive: health.alive ?? true }] }] as AppWithHistory['tasks'],
    history: [...history].reverse().map(([hn, b]) => entry(hn, b)),
  } as AppWithHistory;
}

describe('promotionCandidates', () => {
  it.each<[string, AppWithHistory | null, [string, boolean][]]>([
    ['nothing deployed', null, []],
    ['one healthy build', app(1, '1', [[1, '1']]), [['1', true]]],
    ['the running build first, then the older ones newest first', app(3, '3', [[1, '1'], [2, '2'], [3, '3']]), [['3', true], ['2', false], ['1', false]]],
    ['a failed deploy that was rolled back is not offered', app(3, '1', [[1, '1'], [2, '2'], [3, '1']]), [['1', true]]],
    ['rolled back, then a newer build: still not offered', app(4, '3', [[1, '1'], [2, '2'], [3, '1'], [4, '3']]), [['3', true], ['1', false]]],
    ['a scale-only version does not make a build look rolled back', app(4, '2', [[1, '1'], [2, '2'], [3, '2'], [4, '2']]), [['2', true], ['1', false]]],
    ['an unhealthy running build is not offered; the older ones are', app(2, '2', [[1, '1'], [2, '2']], { alive: false }), [['1', false]]],
    ['a deployment in progress: the running build is not offered', app(2, '2', [[1, '1'], [2, '2']], { deploying: true }), [['1', false]]],
    ['scaled to 0: not offered', app(1, '1', [[1, '1']], { instances: 0 }), []],
    ['versions without a build number are skipped', app(3, '3', [[1, null], [2, '2'], [3, '3']]), [['3', true], ['2', false]]],
  ])('%s', (_name, a, expected) => {
    expect(promotionCandidates(a).map((c) => [c.build, c.running])).toEqual(expected);
  });

  it('carries the image, commit and version of each build', () => {
    expect(promotionCandidates(app(2, '2', [[1, '1'], [2, '2']]))).toEqual([
      { build: '2', image: img('2'), commit: 'c2', version: v(2), running: true },
      { build: '1', image: img('1'), commit: 'c1', version: v(1), running: false },
    ]);
  });
});
