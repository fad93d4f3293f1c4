import { describe, expect, it } from 'vitest';
import { assignServicePorts } from '../../../src/devcluster/ports.js';
import type { PlanTask } from '../../../src/devcluster/replace.js';
import { capacities, planReplacement } from '../../../src/devcluster/replace.js';

const old = (n: number, ready = true): PlanTask[] => Array.from({ length: n }, (_, i) => ({ id: `old${i}`, current: false, ready, stagedAt: i }));
const fresh = (n: number, ready: number): PlanTask[] => Array.from({ length: n }, (_, i) => ({ id: `new${i}`, current: true, ready: i < ready, stagedAt: 100 + i }));
/** Tasks being killed (TASK_KILLING, in their kill grace period): not ready, not yet terminal. */
const killing = (tasks: PlanTask[]): PlanTask[] => tasks.map((t) => ({ ...t, id: `${t.id}-k`, ready: false, killing: true }));

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
    // TaskReplaceActor: an old task told to go still counts until it is terminal, so no new one
    // starts in the same round as the kill when the capacity is full
    ['0.5/0 start: kill one, start none yet', 0.5, 0, [...old(3)], 1, 0, false],
    ['0.5/0 the killed one still in its grace period: wait', 0.5, 0, [...old(2), ...killing(old(1))], 0, 0, false],
    ['0.5/0 the killed one terminal: start one', 0.5, 0, [...old(2)], 0, 1, false],
    ['0.5/0 new not ready: wait', 0.5, 0, [...old(2), ...fresh(1, 0)], 0, 0, false],
    ['0.5/0 new ready: the next old goes, nothing starts', 0.5, 0, [...old(2), ...fresh(1, 1)], 1, 0, false],
    ['0.5/0 that old one killing: wait', 0.5, 0, [...old(1), ...killing(old(1)), ...fresh(1, 1)], 0, 0, false],
    ['1/0 start: one extra', 1, 0, [...old(3)], 0, 1, false],
    ['1/0 extra ready: one old goes, nothing starts', 1, 0, [...old(3), ...fresh(1, 1)], 1, 0, false],
    ['1/0 the old one killing: wait', 1, 0, [...old(2), ...killing(old(1)), ...fresh(1, 1)], 0, 0, false],
    ['1/0 the old one terminal: next starts', 1, 0, [...old(2), ...fresh(1, 1)], 0, 1, false],
    ['0/0: kill everything, start nothing yet', 0, 0, [...old(3)], 3, 0, false],
    ['0/0: all three killing: wait', 0, 0, [...killing(old(3))], 0, 0, false],
    ['0/0: one terminal: one starts', 0, 0, [...killing(old(2))], 0, 1, false],
    ['0/0: all terminal: all start', 0, 0, [], 0, 3, false],
    ['1/1 old ones killing fill the capacity: wait', 1, 1, [...killing(old(3)), ...fresh(3, 3)], 0, 0, false],
    ['1/1 old ones killing below the capacity: no more than N new', 1, 1, [...killing(old(2)), ...fresh(2, 2)], 0, 1, false],
    // a new task being killed (unhealthy) counts as started until it is terminal
    ['a new task being killed holds its place', 1, 1, [...fresh(2, 2), ...killing(fresh(1, 1))], 0, 0, false],
    ['its replacement starts once it is terminal', 1, 1, [...fresh(2, 2)], 0, 1, false],
    ['done', 1, 1, [...fresh(3, 3)], 0, 0, true],
    ['scale up', 1, 1, [...fresh(1, 1)], 0, 2, false],
    ['scale down', 1, 1, [...fresh(5, 5)], 2, 0, false],
    ['scale down: the extras in their grace period, not done', 1, 1, [...fresh(3, 3), ...killing(fresh(2, 2))], 0, 0, false],
    ['scale up beside a task being killed: only up to N', 1, 1, [...fresh(1, 1), ...killing(fresh(1, 1))], 0, 1, false],
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

  it('never drops below minHealthy ready tasks nor exceeds maxCapacity, killed ones included (simulated rollout)', () => {
    for (const [mhc, moc] of [[1, 1], [0.5, 0], [1, 0], [0.67, 0.34], [0.5, 0.5], [0, 0], [0, 1]] as const) {
      let tasks: PlanTask[] = old(3);
      const { minHealthy, maxCapacity } = capacities(3, mhc, moc);
      let clock = 1000;
      let done = false;
      for (let round = 0; round < 50 && !done; round++) {
        const d = planReplacement({ ...base, minimumHealthCapacity: mhc, maximumOverCapacity: moc, tasks });
        done = d.done;
        // a task killed in the previous round is terminal now; this round's victims are killing
        tasks = tasks.filter((t) => !t.killing).map((t) => (d.kill.includes(t.id) ? { ...t, ready: false, killing: true } : t));
        expect(tasks.filter((t) => t.ready).length, `${mhc}/${moc} round ${round}`).toBeGreaterThanOrEqual(Math.min(minHealthy, 3));
        for (let i = 0; i < d.launch; i++) tasks.push({ id: `n${clock}`, current: true, ready: false, stagedAt: clock++ });
        expect(tasks.length, `${mhc}/${moc} round ${round}: tasks alive, killing ones included`).toBeLessThanOrEqual(Math.max(maxCapacity, 3));
        // next round: the new tasks become healthy
        tasks = tasks.map((t) => (t.killing ? t : { ...t, ready: true }));
      }
      expect(done && tasks.every((t) => t.current) && tasks.length === 3, `${mhc}/${moc} converges`).toBe(true);
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
