/**
 * The output path of a running command, as Buildbot's worker shapes it before it goes to the master
 * (buildbot/buildbot worker/buildbot_worker/util/lineboundaries.py and buffer_manager.py):
 *
 * - text streams (`stdout`, `stderr`, `header`, and each named logfile) are cut into whole lines: the
 *   master's newline pattern (from `set_worker_settings`) becomes `\n`, overlong lines are split, and
 *   a partial line waits for the rest (or for the command's end);
 * - a line chunk travels as `[text, newlineOffsets, times]` (`log` as `[name, chunk]`), and the
 *   master reads `text`;
 * - updates are batched until `bufferSize` bytes or `bufferTimeout` seconds, whichever comes first.
 *
 * Pure apart from the timer, which is injected.
 */

export interface WorkerSettings {
  /** A Python `re` pattern; every match becomes `\n`. */
  newlineRe: string;
  maxLineLength: number;
  /** Seconds. */
  bufferTimeout: number;
  bufferSize: number;
}

/** What Buildbot's worker starts with until the master sends `set_worker_settings`. */
export const DEFAULT_SETTINGS: WorkerSettings = {
  newlineRe: '(\\r\\n|\\r(?=.)|\\033\\[u|\\033\\[[0-9]+;[0-9]+[Hf]|\\033\\[2J|\\x08+)',
  maxLineLength: 4096,
  bufferTimeout: 5,
  bufferSize: 64 * 1024,
};

export type LineChunk = [text: string, newlines: number[], times: number[]];
export type Update = [key: string, value: unknown];

/** Python's `re` spelling to JavaScript's: octal escapes (`\033`) become `\x1b`. */
export function pythonRegex(pattern: string): RegExp {
  const js = pattern.replace(/\\0([0-7]{1,2})/g, (_, oct: string) => `\\x${parseInt(oct, 8).toString(16).padStart(2, '0')}`);
  return new RegExp(js, 'g');
}

/** Splits one stream into whole lines (lineboundaries.py's LineBoundaryFinder). */
export class LineSplitter {
  private partial = '';
  private partialTime = 0;

  constructor(
    private readonly maxLineLength: number,
    private readonly newline: RegExp,
  ) {}

  append(input: string, time: number): LineChunk | undefined {
    const hadPartial = this.partial !== '';
    const startTime = hadPartial ? this.partialTime : time;
    const text = (this.partial + input).replace(this.newline, '\n');
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const lf = text.indexOf('\n', start);
      const end = lf < 0 ? text.length : lf;
      while (end - start >= this.maxLineLength) {
        lines.push(`${text.slice(start, start + this.maxLineLength - 1)}\n`);
        start += this.maxLineLength - 1;
      }
      if (lf < 0) break;
      lines.push(text.slice(start, lf + 1));
      start = lf + 1;
    }
    this.partial = text.slice(start);
    if (lines.length === 0) {
      if (!hadPartial) this.partialTime = time;
      return undefined;
    }
    this.partialTime = time;
    const newlines: number[] = [];
    let offset = -1;
    for (const l of lines) newlines.push((offset += l.length));
    const times = lines.map((_, i) => (i === 0 ? startTime : time));
    return [lines.join(''), newlines, times];
  }

  /** The pending partial line, terminated, or nothing. */
  flush(): LineChunk | undefined {
    return this.partial === '' ? undefined : this.append('\n', this.partialTime);
  }
}

const TEXT_KEYS = new Set(['stdout', 'stderr', 'header']);

function chunkSize(c: LineChunk): number {
  return c[0].length + 8 * (c[1].length + c[2].length);
}

function join(a: LineChunk, b: LineChunk): LineChunk {
  const base = a[0].length;
  return [a[0] + b[0], [...a[1], ...b[1].map((i) => base + i)], [...a[2], ...b[2]]];
}

export interface Timer {
  set(ms: number, fn: () => void): unknown;
  clear(handle: unknown): void;
}

export const realTimer: Timer = {
  set: (ms, fn) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * One command's outgoing updates: `add([['stdout', 'text']])` splits text into lines, batches, and
 * hands finished batches to `send`. `flush()` sends everything, partial lines included.
 */
export class OutputBuffer {
  private readonly splitters = new Map<string, LineSplitter>();
  private readonly newline: RegExp;
  private pending: Update[] = [];
  private size = 0;
  private timer: unknown;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly send: (updates: Update[]) => void,
    private readonly timer_: Timer = realTimer,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.newline = pythonRegex(settings.newlineRe);
  }

  add(updates: Update[]): void {
    const time = this.now();
    for (const [key, value] of updates) {
      if (TEXT_KEYS.has(key)) {
        const chunk = this.splitter(key).append(String(value), time);
        if (chunk) this.push(key, chunk);
      } else if (key === 'log') {
        const [name, text] = value as [string, string];
        const chunk = this.splitter(`log:${name}`).append(text, time);
        if (chunk) this.push('log', chunk, name);
      } else {
        this.pushRaw([key, value], 20);
      }
    }
  }

  flush(): void {
    for (const [stream, splitter] of [...this.splitters].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const chunk = splitter.flush();
      if (!chunk) continue;
      if (stream.startsWith('log:')) this.push('log', chunk, stream.slice(4));
      else this.push(stream, chunk);
    }
    this.sendPending();
  }

  private splitter(stream: string): LineSplitter {
    let s = this.splitters.get(stream);
    if (!s) this.splitters.set(stream, (s = new LineSplitter(this.settings.maxLineLength, this.newline)));
    return s;
  }

  private push(key: string, chunk: LineChunk, logName?: string): void {
    const last = this.pending.at(-1);
    if (last && last[0] === key) {
      if (logName === undefined) {
        last[1] = join(last[1] as LineChunk, chunk);
        return this.grow(chunkSize(chunk));
      }
      const [lastName, lastChunk] = last[1] as [string, LineChunk];
      if (lastName === logName) {
        last[1] = [logName, join(lastChunk, chunk)];
        return this.grow(chunkSize(chunk));
      }
    }
    this.pushRaw(logName === undefined ? [key, chunk] : [key, [logName, chunk]], chunkSize(chunk));
  }

  private pushRaw(update: Update, size: number): void {
    this.pending.push(update);
    this.grow(size);
  }

  private grow(size: number): void {
    this.size += size;
    if (this.size >= this.settings.bufferSize) this.sendPending();
    else if (this.timer === undefined) this.timer = this.timer_.set(this.settings.bufferTimeout * 1000, () => this.sendPending());
  }

  private sendPending(): void {
    if (this.timer !== undefined) this.timer_.clear(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.size = 0;
    if (batch.length > 0) this.send(batch);
  }
}
