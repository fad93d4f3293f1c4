import { afterEach, describe, expect, it, vi } from 'vitest';
import { redrawer } from '../../../src/console/model/redraw.js';

/** A fake page: each draw reads the server's state when it starts, answers when the test says, then shows it. */
function fakePage() {
  const server = { state: 'running' };
  const pending: { answer: () => void; read: string }[] = [];
  const page = { shown: '', draws: 0, inFlight: 0, maxInFlight: 0, errors: [] as unknown[] };
  const draw = () =>
    new Promise<void>((resolve) => {
      const read = server.state;
      page.draws++;
      page.inFlight++;
      page.maxInFlight = Math.max(page.maxInFlight, page.inFlight);
      pending.push({
        read,
        answer: () => {
          page.inFlight--;
          page.shown = read;
          resolve();
        },
      });
    });
  const r = redrawer(draw, (e) => page.errors.push(e));
  /** Answers the oldest draw still waiting and lets its continuation run. */
  const answer = async (i = 0) => {
    pending.splice(i, 1)[0]!.answer();
    for (let k = 0; k < 5; k++) await Promise.resolve();
  };
  return { server, pending, page, r, answer };
}

describe('redrawer: one draw at a time, the newest answers drawn last', () => {
  it('a burst of pokes during a draw makes exactly one more draw, after it', async () => {
    const { page, r, answer, pending } = fakePage();
    void r.poke();
    void r.poke();
    void r.poke();
    void r.poke();
    expect(page.draws).toBe(1);
    await answer();
    expect(page.draws).toBe(2);
    expect(pending).toHaveLength(1);
    await answer();
    expect(page.draws).toBe(2);
    expect(page.maxInFlight).toBe(1);
  });

  it('the last event’s answer is what stays on the page, even when an earlier answer is the slower one', async () => {
    // The build page's case: the build finishes (its last event) while a draw that read
    // "running" is still waiting for the master. That draw must not be the last one shown.
    const { server, page, r, answer, pending } = fakePage();
    void r.poke(); // reads "running"
    server.state = 'success';
    void r.poke(); // the finish event
    expect(pending).toHaveLength(1); // it waits for the draw in flight instead of racing it
    await answer();
    expect(page.shown).toBe('running');
    await answer(); // the draw made after the event reads the finished build
    expect(page.shown).toBe('success');
    expect(pending).toHaveLength(0);
  });

  it('poke resolves once a draw started after it has finished', async () => {
    const { server, page, r, answer } = fakePage();
    void r.poke();
    server.state = 'success';
    let done = false;
    void r.poke().then(() => (done = true));
    await answer();
    expect(done).toBe(false);
    await answer();
    expect(done).toBe(true);
    expect(page.shown).toBe('success');
  });

  it('a failed draw is reported and the next poke draws again', async () => {
    const errors: unknown[] = [];
    let fail = true;
    let draws = 0;
    const r = redrawer(async () => {
      draws++;
      if (fail) throw new Error('HTTP 502');
    }, (e) => errors.push(e));
    await r.poke();
    fail = false;
    await r.poke();
    expect(draws).toBe(2);
    expect(errors.map(String)).toEqual(['Error: HTTP 502']);
  });

  it('after stop nothing new starts and a late error is not reported', async () => {
    const errors: unknown[] = [];
    let draws = 0;
    let reject: (e: Error) => void = () => {};
    const r = redrawer(() => (draws++, new Promise<void>((_, rej) => (reject = rej))), (e) => errors.push(e));
    const first = r.poke();
    void r.poke(); // would be one more draw
    r.stop();
    reject(new Error('late'));
    await first;
    await r.poke();
    expect(draws).toBe(1);
    expect(errors).toEqual([]);
  });

  describe('retry', () => {
    afterEach(() => vi.useRealTimers());
    it('a failed draw is tried again retryMs later, until one succeeds; none after a success or a stop', async () => {
      vi.useFakeTimers();
      const outcomes = [false, false, true];
      let draws = 0;
      const errors: unknown[] = [];
      const r = redrawer(async () => {
        if (!outcomes[draws++]) throw new Error(`draw ${draws} failed`);
      }, (e) => errors.push(e), { retryMs: 5000 });
      await r.poke();
      expect(draws).toBe(1);
      await vi.advanceTimersByTimeAsync(4999);
      expect(draws).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(draws).toBe(2);
      await vi.advanceTimersByTimeAsync(5000);
      expect(draws).toBe(3);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(draws).toBe(3);
      expect(errors).toHaveLength(2);

      const s = redrawer(async () => {
        throw new Error('down');
      }, () => {}, { retryMs: 5000 });
      await s.poke();
      s.stop();
      await vi.advanceTimersByTimeAsync(20_000);
      expect(vi.getTimerCount()).toBe(0);
    });
    it('without retryMs a failed draw waits for the next poke', async () => {
      vi.useFakeTimers();
      let draws = 0;
      const r = redrawer(async () => {
        draws++;
        throw new Error('down');
      }, () => {});
      await r.poke();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(draws).toBe(1);
    });
  });
});
