import { describe, expect, it } from 'vitest';
import { assignServicePorts } from '../../../src/devcluster/ports.js';
import type { PlanTask } from '../../../src/devcluster/replace.js';
import { capacities, planReplacement } from '../../../src/devcluster/replace.js';

const old = (n: number, ready = true): PlanTask[] => Array.from({ length: n }, (_, i) => ({ id: `old${i}`, current: false, ready, stagedAt: i }));
const fresh = (n: number, ready: number): PlanTask[] => Array.from({ length: n }, (_, i) => ({ id: `new${i}`, current: true, ready: i < ready, stagedAt: 100 + i }));

describe('capacities (Marathon TaskReplaceActor arithmetic)', () => {
  it.each([
    // instances, minHealth, maxOver → minHealthy, maxCapacity
    [3, 1, 1, 3, 6],
    [3, 0.5, 0, 2, 3],
    [3, 1, 0, 3, 4], // minHealthy == maxCapacity → one extra instance
    [3, 0, 0, 0, 3],
    [4, 0.5, 0.5, 2, 6],
    [10, 0.1, 0.2, 1, 12],
    [3, 0.7, 0, 3, 4], // ceil(2.1) = 3 = floor(3): one extra
    [1, 1, 0, 1, 2],
  ])('N=%d mhc=%d moc=%d → minHealthy %d, maxCapacity %d', (n, mhc, moc, minHealthy, maxCapacity) => {
    expect(capacities(n, mhc, moc)).toEqual({ minHealthy, maxCapacity });
  });
});

describe('planReplacement', () => {
  const base = { instances: 3, killSelection: 'YOUNGEST_FIRST' as const };
  it.each([
    ['1/1 start: all new beside the old', 1, 1, [...old(3)], 0, 3, false],
    ['1/1 one new ready: one old goes', 1, 1, [...old(3), ...fresh(3, 1)], 1, 0, false],
    ['1/1 all new ready: the rest go', 1, 1, [...old(2), ...fresh(3, 3)], 2, 0, false],
    ['0.5/0 start: kill one, start one', 0.5, 0, [...old(3)], 1, 1, false],
    ['0.5/0 new not ready: wait', 0.5, 0, [...old(2), ...fresh(1, 0)], 0, 0, false],
    ['0.5/0 new ready: next round', 0.5, 0, [...old(2), ...fresh(1, 1)], 1, 1, false],
    ['1/0 start: one extra', 1, 0, [...old(3)], 0, 1, false],
    ['1/0 extra ready: one old goes, next starts', 1, 0, [...old(3), ...fresh(1, 1)], 1, 1, false],
    ['0/0: kill everything and start', 0, 0, [...old(3)], 3, 3, false],
    ['done', 1, 1, [...fresh(3, 3)], 0, 0, true],
    ['scale up', 1, 1, [...fresh(1, 1)], 0, 2, false],
    ['scale down', 1, 1, [...fresh(5, 5)], 2, 0, false],
    ['new tasks not ready yet', 1, 1, [...fresh(3, 2)], 0, 0, false],
  ])('%s', (_name, mhc, moc, tasks, kills, launch, done) => {
    const d = planReplacement({ ...base, minimumHealthCapacity: mhc, maximumOverCapacity: moc, tasks });
    expect({ kills: d.kill.length, launch: d.launch, done: d.done }).toEqual({ kills, launch, done });
  });

  it('kills tasks that are not ready first, then the youngest', () => {
    const tasks: PlanTask[] = [
      { id: 'a', current: false, ready: true, stagedAt: 1 },
      { id: 'b', current: false, ready: false, stagedAt: 2 },
      { id: 'c', current: false, ready: true, stagedAt: 3 },
    ];
    expect(planReplacement({ ...base, minimumHealthCapacity: 0.33, maximumOverCapacity: 0, tasks }).kill).toEqual(['b', 'c']);
    expect(planReplacement({ ...base, killSelection: 'OLDEST_FIRST', minimumHealthCapacity: 0.33, maximumOverCapacity: 0, tasks }).kill).toEqual(['b', 'a']);
  });

  it('never drops below minHealthy ready tasks while replacing (simulated rollout)', () => {
    for (const [mhc, moc] of [[1, 1], [0.5, 0], [1, 0], [0.67, 0.34], [0.5, 0.5]] as const) {
      let tasks: PlanTask[] = old(3);
      const { minHealthy } = capacities(3, mhc, moc);
      let clock = 1000;
      for (let round = 0; round < 50; round++) {
        const d = planReplacement({ ...base, minimumHealthCapacity: mhc, maximumOverCapacity: moc, tasks });
        if (d.done) break;
        tasks = tasks.filter((t) => !d.kill.includes(t.id));
        expect(tasks.filter((t) => t.ready).length, `${mhc}/${moc} round ${round}`).toBeGreaterThanOrEqual(minHealthy);
        for (let i = 0; i < d.launch; i++) tasks.push({ id: `n${clock}`, current: true, ready: false, stagedAt: clock++ });
        // next round: the new tasks become healthy
        tasks = tasks.map((t) => ({ ...t, ready: true }));
      }
      expect(tasks.every((t) => t.current) && tasks.length === 3, `${mhc}/${moc} converges`).toBe(true);
    }
  });
});

describe('assignServicePorts (AssignDynamicServiceLogic.assignPorts)', () => {
  const range: [number, number] = [10, 20];
  it.each<[string, number[], number[], number[], number[]]>([
    ['a new app takes the lowest free ports', [0, 0], [], [10, 12], [11, 13]],
    ['fixed ports are kept as given', [9000, 0], [], [], [9000, 10]],
    ['a re-sent 0 gets its previous port back', [0], [15], [15], [15]],
    // mesosphere/marathon AssignDynamicServiceLogicTest "should reassign dynamic service ports specified in the container"
    ['a 0 between fixed ports (#2743)', [10, 0, 11], [10, 11], [10, 11], [10, 12, 11]],
    ['previous ports outside the range are not reused', [0], [9000], [9000], [10]],
    ['a previous port the new definition names elsewhere is not reused', [0, 15], [15, 16], [15, 16], [16, 15]],
  ])('%s', (_what, wanted, previous, used, want) => {
    expect(assignServicePorts(wanted, previous, new Set(used), range)).toEqual(want);
  });
  it('says when the range is used up', () => {
    expect(() => assignServicePorts([0], [], new Set([10, 11]), [10, 11])).toThrow(/no free service port left in 10-11/);
  });
});
