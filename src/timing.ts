/**
 * Where a step command's wall time went: the waits on external systems (the Docker engine building
 * or pushing, Marathon rolling out) and the rest, which is bbm's own work (Node's start-up, loading
 * the command, git, the round trips it makes, reacting to what it waited on). The step commands
 * print it as their last stderr line, which a person reads in the Buildbot log and the end-to-end
 * test and the bench read back with parseTiming:
 *
 *   bbm deploy: 4.21 s, of which Marathon rollout 3.90 s, bbm 0.31 s
 *   bbm tag: 0.12 s, bbm 0.12 s
 *
 * The total runs from the process's start (performance.timeOrigin: Node's own start-up counts as
 * bbm's). Buildbot's step times are whole seconds (3.7 stores started_at/complete_at as integers),
 * too coarse to split a step of a few seconds; this line is exact to the millisecond.
 */

/** One external system's share of a step. `what` reads in a sentence: "docker build", "Marathon rollout". */
export interface Wait {
  what: string;
  ms: number;
}

export interface StepTiming {
  command: string;
  totalMs: number;
  /** In the order first waited on. */
  waits: Wait[];
  /** totalMs minus the waits (never below 0). */
  ownMs: number;
}

/**
 * Adds up the time spent waiting, per external system. Waits may nest or overlap (a retry's backoff
 * inside a push): time is counted once, for the outermost wait running.
 */
export class WaitClock {
  private readonly totals = new Map<string, number>();
  private running = 0;
  private outer = '';
  private since = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Runs `work` and counts its duration as a wait on `what`, whether it resolves or rejects. */
  async wait<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.running++ === 0) {
      this.outer = what;
      this.since = this.now();
    }
    try {
      return await work();
    } finally {
      if (--this.running === 0) this.add(this.outer, this.now() - this.since);
    }
  }

  /** Counts `ms` as a wait on `what` (for a wait measured elsewhere). */
  add(what: string, ms: number): void {
    this.totals.set(what, (this.totals.get(what) ?? 0) + Math.max(0, ms));
  }

  /** The split of a command that has run `totalMs` so far. */
  timing(command: string, totalMs: number): StepTiming {
    const waits = [...this.totals].map(([what, ms]) => ({ what, ms }));
    const waited = waits.reduce((n, w) => n + w.ms, 0);
    return { command, totalMs, waits, ownMs: Math.max(0, totalMs - waited) };
  }
}

/** `work`, counted as a wait on `what` when there is a clock. */
export function waitOn<T>(clock: WaitClock | undefined, what: string, work: () => Promise<T>): Promise<T> {
  return clock ? clock.wait(what, work) : work();
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** `bbm deploy: 4.21 s, of which Marathon rollout 3.90 s, bbm 0.31 s` (pure). */
export function formatTiming(t: StepTiming): string {
  const waits = t.waits.map((w) => `${w.what} ${seconds(w.ms)} s`);
  return `bbm ${t.command}: ${seconds(t.totalMs)} s, ${waits.length ? `of which ${waits.join(', ')}, ` : ''}bbm ${seconds(t.ownMs)} s`;
}

const LINE = /^bbm ([a-z-]+): (\d+\.\d\d) s, (?:of which (.+), )?bbm (\d+\.\d\d) s$/;
const WAIT = /^(.+) (\d+\.\d\d) s$/;

/** The timing of a line formatTiming wrote (surrounding whitespace allowed), else undefined (pure). */
export function parseTiming(line: string): StepTiming | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const waits: Wait[] = [];
  for (const part of m[3] ? m[3].split(', ') : []) {
    const w = WAIT.exec(part);
    if (!w) return undefined;
    waits.push({ what: w[1]!, ms: Math.round(Number(w[2]) * 1000) });
  }
  return { command: m[1]!, totalMs: Math.round(Number(m[2]) * 1000), waits, ownMs: Math.round(Number(m[4]) * 1000) };
}

/** The last timing line in a log (a step's whole output), if any. */
export function lastTiming(log: string): StepTiming | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const t = parseTiming(lines[i]!);
    if (t) return t;
  }
  return undefined;
}
