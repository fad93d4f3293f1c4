import { describe, expect, it } from 'vitest';
import type { EnvironmentData } from '../../../src/console/model/deployments.js';
import { promoteOffer, type PromotionRoute } from '../../../src/console/model/promote-offer.js';

const v = (n: number) => `2026-12-01T20:0${n}:00.000Z`;
/** Staging runs build `build` (healthy unless told), having run the builds of `before` (oldest first), each healthy when the next replaced it (bbm's record). */
const rec = (i: number): Record<string, string> => (i > 0 ? { 'bbm.replaced-healthy-version': v(i) } : {});
function staging(build: string, before: string[], alive = true): EnvironmentData {
  const all = [...before, build];
  return {
    name: 'staging',
    apps: [
      {
        id: '/staging/web',
        version: v(all.length),
        versionInfo: { lastConfigChangeAt: v(all.length), lastScalingAt: v(all.length) },
        instances: 1,
        container: { type: 'DOCKER', docker: { image: `r/web:b${build}` } },
        healthChecks: [{ protocol: 'MESOS_HTTP' }],
        labels: { 'bbm.project': 'web', 'bbm.build-number': build, 'bbm.commit': `abcdef0123456789-${build}`, ...rec(all.length - 1) },
        tasks: [{ id: 't', appId: '/staging/web', host: 'h', ports: [1], servicePorts: [], state: 'TASK_RUNNING', version: v(all.length), healthCheckResults: [{ alive }] }],
        history: all.map((b, i) => ({ version: v(i + 1), image: `r/web:b${b}`, labels: { 'bbm.build-number': b, ...rec(i) } })).reverse(),
      } as unknown as EnvironmentData['apps'][number],
    ],
  };
}
const routes: PromotionRoute[] = [
  { project: 'web', to: 'production', from: 'staging', sourceAppId: '/staging/web', targetAppId: '/web' },
  { project: 'web', to: 'canary', from: 'production', sourceAppId: '/web', targetAppId: '/canary/web' },
];

describe('promoteOffer', () => {
  it.each<[string, PromotionRoute[], EnvironmentData[], string, { to: string | null; from: string | null; builds: string[] }]>([
    ['pressed in the source: into the environment it feeds, its builds offered', routes, [staging('2', ['1'])], 'staging', { to: 'production', from: 'staging', builds: ['2', '1'] }],
    ['pressed in a target: into that environment, from its source', routes, [staging('2', ['1'])], 'production', { to: 'production', from: 'staging', builds: ['2', '1'] }],
    ['an unhealthy source offers only what ran before', routes, [staging('2', ['1'], false)], 'staging', { to: 'production', from: 'staging', builds: ['1'] }],
    ['a source not in the answer offers nothing', routes, [], 'staging', { to: 'production', from: 'staging', builds: [] }],
    ['a route from an environment with no app of the project', routes, [staging('2', [])], 'canary', { to: 'canary', from: 'production', builds: [] }],
    ['a project without routes', [], [staging('2', [])], 'staging', { to: null, from: null, builds: [] }],
  ])('%s', (_name, rs, envs, pressedIn, want) => {
    const offer = promoteOffer(rs, envs, 'web', pressedIn);
    expect({ to: offer.to, from: offer.from, builds: offer.builds.map((b) => b.value) }).toEqual(want);
  });

  it('describes each build: running healthy or ran, and its commit', () => {
    const { builds } = promoteOffer(routes, [staging('2', ['1'])], 'web', 'staging');
    expect(builds[0]!.label).toBe('#2 running healthy in staging abcdef0123');
    expect(builds[1]!.label).toMatch(/^#1 ran healthy in staging \(2026-12-01T20:01:00\.000Z\)$/);
  });
});
