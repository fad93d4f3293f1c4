/**
 * `bbm haproxy --watch --run-haproxy`: HAProxy run by bbm in master-worker mode
 * (`haproxy -W -S <master socket> -f <config>`). A reload is the master CLI's `reload`: the master
 * re-executes itself, the new worker takes the listening sockets over from the old one
 * (sockpair@, no rebinding, no refused connection) and the old worker finishes its established
 * connections (bounded by `hard-stop-after`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { OperationFailedError, UnreachableError } from '../errors.js';
import type { Reporter } from '../reporter.js';
import { cliCommand } from './adapter.js';

export interface ProcState {
  reloads: number;
  failed: number;
  workers: number[];
}

/** Parses the master CLI's `show proc`. */
export function parseShowProc(text: string): ProcState | undefined {
  const master = /^\d+\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/m.exec(text);
  if (!master) return undefined;
  const workers = [...text.matchAll(/^(\d+)\s+worker\s/gm)].map((m) => Number(m[1]));
  return { reloads: Number(master[1]), failed: Number(master[2]), workers };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ManagedOptions {
  haproxyBin: string;
  configFile: string;
  masterSocket: string;
  reporter: Reporter;
  /** How long to wait for the first worker or a reload. */
  timeoutMs?: number;
}

export class ManagedHaproxy {
  private exited: Promise<number | null>;
  private stopping = false;
  private onUnexpectedExit: ((code: number | null) => void) | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: ManagedOptions,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping) {
          options.reporter.warn(`haproxy master (pid ${child.pid}) exited unexpectedly (code ${code}, signal ${signal})`);
          this.onUnexpectedExit?.(code);
        }
        resolve(code);
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Called when the master dies without being asked to. */
  set exitHandler(handler: (code: number | null) => void) {
    this.onUnexpectedExit = handler;
  }

  static async start(options: ManagedOptions): Promise<ManagedHaproxy> {
    await rm(options.masterSocket, { force: true });
    const child = spawn(options.haproxyBin, ['-W', '-S', options.masterSocket, '-f', options.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const startError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new OperationFailedError(`cannot start ${options.haproxyBin}: ${e.message}`))));
    startError.catch(() => {});
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) options.reporter.raw(`haproxy: ${line}`);
      });
    }
    const managed = new ManagedHaproxy(child, options);
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null) throw new OperationFailedError(`${options.haproxyBin} exited with code ${child.exitCode} at start (its messages are above)`);
      const state = await Promise.race([managed.state().catch(() => undefined), startError]);
      if (state && state.workers.length > 0) return managed;
      if (Date.now() > deadline) {
        await managed.stop();
        throw new OperationFailedError(`HAProxy did not start a worker within ${(options.timeoutMs ?? 30_000) / 1000} s`);
      }
      await sleep(100);
    }
  }

  async state(): Promise<ProcState> {
    const text = await cliCommand(this.options.masterSocket, 'show proc');
    const state = parseShowProc(text);
    if (!state) throw new UnreachableError(`unexpected answer from the HAProxy master CLI: ${JSON.stringify(text.slice(0, 200))}`);
    return state;
  }

  /** Seamless reload; resolves when the new worker runs, throws if HAProxy refused the new config. */
  async reload(): Promise<void> {
    const before = await this.state();
    await cliCommand(this.options.masterSocket, 'reload');
    const deadline = Date.now() + (this.options.timeoutMs ?? 30_000);
    for (;;) {
      await sleep(50);
      const now = await this.state().catch(() => undefined);
      if (now && now.failed > before.failed) throw new OperationFailedError('HAProxy refused to reload; the previous workers keep serving');
      if (now && now.reloads > before.reloads && now.workers.length > 0) return;
      if (Date.now() > deadline) throw new OperationFailedError(`HAProxy did not finish a reload within ${(this.options.timeoutMs ?? 30_000) / 1000} s`);
    }
  }

  /** Graceful stop (SIGUSR1: finish connections), then SIGTERM after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGUSR1');
    const timer = setTimeout(() => this.child.kill('SIGTERM'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
