/** A step's timing line (src/timing.ts, pure): the wait clock, the line and reading it back. */
import { describe, expect, it } from 'vitest';
import { formatTiming, lastTiming, parseTiming, WaitClock, type StepTiming } from '../../src/timing.js';

/** A clock the test moves by hand. */
function manualClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('step timing', () => {
  it.each([
    [{ command: 'tag', totalMs: 120, waits: [], ownMs: 120 }, 'bbm tag: 0.12 s, bbm 0.12 s'],
    [{ command: 'deploy', totalMs: 4210, waits: [{ what: 'Marathon rollout', ms: 3900 }], ownMs: 310 }, 'bbm deploy: 4.21 s, of which Marathon rollout 3.90 s, bbm 0.31 s'],
    [
      { command: 'deploy', totalMs: 95_004, waits: [{ what: 'another deployment', ms: 2000 }, { what: 'Marathon rollout', ms: 90_000 }, { what: 'Marathon rollback', ms: 2500 }], ownMs: 504 },
      'bbm deploy: 95.00 s, of which another deployment 2.00 s, Marathon rollout 90.00 s, Marathon rollback 2.50 s, bbm 0.50 s',
    ],
    [{ command: 'build', totalMs: 3614, waits: [{ what: 'docker build', ms: 2431 }], ownMs: 1183 }, 'bbm build: 3.61 s, of which docker build 2.43 s, bbm 1.18 s'],
  ] as [StepTiming, string][])('%j reads "%s", and reads back to the same to 10 ms', (timing, line) => {
    expect(formatTiming(timing)).toBe(line);
    const back = parseTiming(line)!;
    expect(back.command).toBe(timing.command);
    expect(back.waits.map((w) => w.what)).toEqual(timing.waits.map((w) => w.what));
    for (const [a, b] of [[back.totalMs, timing.totalMs], [back.ownMs, timing.ownMs], ...back.waits.map((w, i) => [w.ms, timing.waits[i]!.ms])] as [number, number][])
      expect(Math.abs(a - b)).toBeLessThanOrEqual(5);
  });

  it.each([
    'bbm tag: 0.12 s',
    'bbm tag: 0.12 s, bbm 0.1 s',
    'bbm: error: bbm tag: 0.12 s, bbm 0.12 s',
    'bbm deploy: 4.21 s, of which Marathon rollout, bbm 0.31 s',
    'bbm build: built 127.0.0.1:5000/x:1 (sha256:…)',
    '',
  ])('"%s" is no timing line', (line) => expect(parseTiming(line)).toBeUndefined());

  it('a log’s last timing line is found after whatever follows it', () => {
    const log = ['bbm build: 1.00 s, of which docker build 0.50 s, bbm 0.50 s', 'noise', 'bbm push: 2.00 s, of which docker push 1.50 s, bbm 0.50 s', 'program finished with exit code 0', 'elapsedTime=2.1'].join('\n');
    expect(lastTiming(log)).toEqual({ command: 'push', totalMs: 2000, waits: [{ what: 'docker push', ms: 1500 }], ownMs: 500 });
    expect(lastTiming('no line here')).toBeUndefined();
  });

  it('counts each wait by name, also when the work fails', async () => {
    const c = manualClock();
    const clock = new WaitClock(c.now);
    c.advance(100); // start-up: bbm's own
    await clock.wait('docker build', async () => c.advance(2000));
    await expect(
      clock.wait('docker push', async () => {
        c.advance(300);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await clock.wait('docker build', async () => c.advance(500));
    c.advance(50);
    expect(clock.timing('build', c.now())).toEqual({
      command: 'build',
      totalMs: 2950,
      waits: [{ what: 'docker build', ms: 2500 }, { what: 'docker push', ms: 300 }],
      ownMs: 150,
    });
  });

  it('nested or overlapping waits count their time once, for the outermost', async () => {
    const c = manualClock();
    const clock = new WaitClock(c.now);
    await clock.wait('docker push', async () => {
      c.advance(100);
      await clock.wait('retry backoff', async () => c.advance(1000));
      c.advance(100);
    });
    let release!: () => void;
    const a = clock.wait('Marathon rollout', () => new Promise<void>((r) => (release = r)));
    const b = clock.wait('Marathon rollout', async () => c.advance(400));
    await b;
    c.advance(600);
    release();
    await a;
    expect(clock.timing('deploy', 2500)).toEqual({
      command: 'deploy',
      totalMs: 2500,
      waits: [{ what: 'docker push', ms: 1200 }, { what: 'Marathon rollout', ms: 1000 }],
      ownMs: 300,
    });
  });

  it('bbm’s own share never goes below zero', () => {
    const clock = new WaitClock(() => 0);
    clock.add('docker build', 500);
    expect(clock.timing('build', 400).ownMs).toBe(0);
  });
});
