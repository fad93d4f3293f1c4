/**
 * A page's redraws, one at a time. `poke()` asks for a draw from fresh answers; while one runs,
 * any number of pokes make exactly one more draw after it. So:
 * - the newest answers are always drawn last: two draws never overlap, so an older answer that
 *   arrives late can never overwrite a newer one (a build page that kept `running` after the
 *   build's last event, with no event left to correct it);
 * - a burst of events (a build starting sends several) costs the master at most two draws' worth
 *   of requests, not one per event piling up on a loaded master;
 * - a failed draw is tried again `retryMs` later (when given), so a page that missed one answer
 *   (a master restarting, a dropped connection) catches up without waiting for the next event;
 * - after `stop()` (the page was left) nothing new starts and errors are no longer reported.
 * Pure (no DOM): the pages pass their draw and where errors go.
 */
export interface Redraw {
  /** Resolves once a draw that started after this call has finished (its error goes to `onError`). */
  poke(): Promise<void>;
  stop(): void;
}

export function redrawer(draw: () => Promise<void>, onError: (err: unknown) => void, opts: { retryMs?: number } = {}): Redraw {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await draw();
      } catch (err) {
        if (stopped) continue;
        onError(err);
        if (opts.retryMs !== undefined) setTimeout(() => void self.poke(), opts.retryMs);
      }
    } while (again && !stopped);
    running = null;
  };
  const self: Redraw = {
    poke() {
      if (stopped) return Promise.resolve();
      if (running) {
        again = true;
        return running;
      }
      running = loop();
      return running;
    },
    stop() {
      stopped = true;
    },
  };
  return self;
}
