/**
 * The `shell` command (buildbot/buildbot worker/buildbot_worker/commands/shell.py, runprocess.py):
 * runs argv (or a string through /bin/sh -c) in its own process group, streams its output, watches
 * logfiles, enforces timeout (no output) and maxTime, and on interruption or timeout signals the
 * whole group: SIGTERM first when sigtermTime is set, then the interrupt signal (SIGKILL) to whatever
 * of the group is left. Exit codes go back as `rc`; a signal death is rc -1 with a header line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, existsSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { stepEnv } from '../environment.js';
import { displayCommand, pythonBytesRepr, pythonDictRepr, realCommand, type CommandArg } from '../display.js';
import { str, type CommandContext, type WorkerCommand } from './context.js';

/** Seconds after the last kill signal before the command is given up on (runprocess.py BACKUP_TIMEOUT). */
const BACKUP_TIMEOUT = 5;
const LOGFILE_POLL_MS = 2000;

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

function secs(n: number): string {
  return `${n} ${n === 1 ? 'sec' : 'secs'}`;
}

/** True while any process of the group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    try {
      return child.kill(signal);
    } catch {
      return false;
    }
  }
}

/** Follows a logfile the way runprocess.py's LogFileWatcher does: from its start, or its end with `follow`. */
class LogfileWatcher {
  private offset = 0;
  private started = false;
  private readonly initial: string | undefined;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly name: string,
    private readonly file: string,
    private readonly follow: boolean,
    private readonly emit: (name: string, text: string) => void,
  ) {
    this.initial = this.signature();
  }

  private signature(): string | undefined {
    try {
      const s = statSync(this.file);
      return `${s.ctimeMs}:${s.mtimeMs}:${s.size}`;
    } catch {
      return undefined;
    }
  }

  poll(): void {
    if (!this.started) {
      const sig = this.signature();
      if (sig === undefined || sig === this.initial) return;
      this.started = true;
      this.offset = this.follow ? statSync(this.file).size : 0;
    }
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.emit(this.name, this.decoder.decode(buf.subarray(0, n), { stream: true }));
      }
    } finally {
      closeSync(fd);
    }
  }
}

export const shellCommand: WorkerCommand = (ctx) =>
  new Promise<void>((resolve, reject) => {
    const a = ctx.args;
    const workdir = str(a.workdir, 'workdir');
    const command = a.command as CommandArg[] | string;
    if (!(typeof command === 'string' || Array.isArray(command))) throw new Error("argument 'command' must be a string or a list");
    const env = stepEnv(ctx.baseEnv, a.env as Record<string, unknown> | undefined);
    const timeout = num(a.timeout);
    const maxTime = num(a.maxTime);
    const sigtermTime = typeof a.sigtermTime === 'number' && a.sigtermTime >= 0 ? a.sigtermTime : undefined;
    const interruptSignal = (typeof a.interruptSignal === 'string' ? `SIG${a.interruptSignal}` : 'SIGKILL') as NodeJS.Signals;
    const wantStdout = a.want_stdout !== false && a.want_stdout !== 0;
    const wantStderr = a.want_stderr !== false && a.want_stderr !== 0;
    const stdin = typeof a.initial_stdin === 'string' ? a.initial_stdin : a.initial_stdin instanceof Uint8Array ? Buffer.from(a.initial_stdin) : undefined;
    const logfiles = (a.logfiles && typeof a.logfiles === 'object' ? a.logfiles : {}) as Record<string, string | { filename: string; follow?: boolean }>;
    const header = (text: string) => ctx.send([['header', text]]);

    if (!existsSync(workdir)) mkdirSync(workdir, { recursive: true });
    const real = realCommand(command);
    const argv = typeof real === 'string' ? ['/bin/sh', '-c', real] : real;
    env.PWD = path.resolve(workdir);

    header(`${displayCommand(command)}\n`);
    header(` in dir ${workdir}${timeout ? ` (timeout ${secs(timeout)})` : ''}${maxTime ? ` (maxTime ${secs(maxTime)})` : ''}\n`);
    header(` watching logfiles ${pythonDictRepr(logfiles)}\n`);
    header(` argv: ${pythonBytesRepr(command)}\n`);
    if (a.logEnviron !== false) {
      header(` environment:\n${Object.keys(env).sort().map((k) => `  ${k}=${env[k]}\n`).join('')}`);
    }
    if (stdin !== undefined && stdin.length > 0) header(` writing ${Buffer.byteLength(stdin)} bytes to stdin\n`);
    if (a.usePTY === true) header('WARNING: disabling usePTY for this command (bbm worker runs commands without a PTY)\n');
    header(' using PTY: False\n');

    const started = Date.now();
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { cwd: workdir, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      return reject(error);
    }

    const watchers = Object.entries(logfiles).map(([name, v]) => {
      const file = typeof v === 'string' ? v : v.filename;
      const follow = typeof v === 'object' && v.follow === true;
      return new LogfileWatcher(name, path.join(workdir, file), follow, (n, text) => {
        ctx.send([['log', [n, text]]]);
        resetIdle();
      });
    });
    const pollTimer = watchers.length ? setInterval(() => watchers.forEach((w) => w.poll()), LOGFILE_POLL_MS) : undefined;

    let killed = false;
    let done = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    let maxTimer: NodeJS.Timeout | undefined;
    let termTimer: NodeJS.Timeout | undefined;
    let backupTimer: NodeJS.Timeout | undefined;
    // termTimer is not cancelled when the leader exits: group members that outlived SIGTERM still get the kill.
    const cancelTimers = () => [idleTimer, maxTimer].forEach((t) => t && clearTimeout(t));
    function resetIdle() {
      if (!timeout || killed || done) return;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => kill(`command timed out: ${timeout} seconds without output running ${pythonBytesRepr(command)}`), timeout * 1000);
    }

    const finish = (rc: number, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      cancelTimers();
      if (backupTimer) clearTimeout(backupTimer);
      if (pollTimer) clearInterval(pollTimer);
      for (const w of watchers) w.poll();
      ctx.interrupted.removeEventListener('abort', onInterrupt);
      if (signal) header(`process killed by signal ${constants.signals[signal] ?? signal}\n`);
      ctx.send([['rc', rc]]);
      header(`elapsedTime=${((Date.now() - started) / 1000).toFixed(6)}\n`);
      resolve();
    };

    /** After a kill: wait for the group's leader; if nothing exits, report a fake rc (runprocess.py doBackupTimeout). */
    const armBackup = () => {
      backupTimer = setTimeout(() => {
        if (done) return;
        header(`${interruptSignal} failed to kill process\n`);
        header('using fake rc=-1\n');
        finish(-1, null);
      }, BACKUP_TIMEOUT * 1000);
    };

    function kill(message: string) {
      if (done || killed) return;
      cancelTimers();
      killed = true;
      header(`\n${message}, attempting to kill\n`);
      if (sigtermTime !== undefined) {
        signalGroup(child, 'SIGTERM');
        termTimer = setTimeout(() => {
          // SIGTERM was not enough for every member of the group: the interrupt signal for the rest.
          if (child.pid !== undefined && groupAlive(child.pid)) signalGroup(child, interruptSignal);
          if (done) return;
          armBackup();
          if (exited) destroyPipes();
        }, sigtermTime * 1000);
      } else {
        signalGroup(child, interruptSignal);
        armBackup();
      }
    }

    const onInterrupt = () => kill('command interrupted');
    ctx.interrupted.addEventListener('abort', onInterrupt);
    if (ctx.interrupted.aborted) queueMicrotask(onInterrupt);

    const outDecoder = new TextDecoder('utf-8');
    const errDecoder = new TextDecoder('utf-8');
    child.stdout!.on('data', (b: Buffer) => {
      if (wantStdout) ctx.send([['stdout', outDecoder.decode(b, { stream: true })]]);
      resetIdle();
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (wantStderr) ctx.send([['stderr', errDecoder.decode(b, { stream: true })]]);
      resetIdle();
    });
    child.stdin!.on('error', () => {});
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();

    function destroyPipes() {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    const conclude = () => {
      if (!exited) return;
      const { code, signal } = exited;
      let rc = signal ? -1 : (code ?? -1);
      if (killed && rc === 0) rc = -1;
      finish(rc, signal);
    };
    child.on('error', (error) => {
      if (done) return;
      done = true;
      cancelTimers();
      if (pollTimer) clearInterval(pollTimer);
      ctx.interrupted.removeEventListener('abort', onInterrupt);
      ctx.send([['stderr', `cannot run ${JSON.stringify(argv[0])} in ${workdir}: ${error.message}\n`]]);
      ctx.send([['rc', 1]]);
      resolve();
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      // A killed command does not wait for stragglers holding its pipes (runprocess.py loseConnection).
      if (killed) destroyPipes();
    });
    child.on('close', conclude);

    resetIdle();
    if (maxTime) maxTimer = setTimeout(() => kill(`command timed out: ${maxTime} seconds elapsed running ${pythonBytesRepr(command)}`), maxTime * 1000);
  });
