/**
 * `bbm worker`: connects to a Buildbot master over `msgpack_experimental_v7`, answers its requests and
 * runs its commands; reconnects with growing, jittered delays when the connection drops (a master
 * restart) and exits when the master asks it to shut down or the process is told to stop.
 */
import { mkdirSync } from 'node:fs';
import WebSocket from 'ws';
import type { RunContext } from '../context.js';
import { UsageError } from '../errors.js';
import { outputError } from '../output-file.js';
import type { Env } from './environment.js';
import { workerInfo } from './info.js';
import { DEFAULT_SETTINGS, type WorkerSettings } from './output.js';
import { connectPbOnce } from './pb/connection.js';
import { startCommand, type CommandChannel, type ConnectResult, type Outcome, type Running } from './runner.js';
import { MasterSession, type Message } from './session.js';

export type WorkerProtocol = 'msgpack' | 'pb';

export interface WorkerOptions {
  /** `pb`: the master's PB port (Twisted's Perspective Broker); `msgpack`: its msgpack_experimental_v7 port. */
  protocol: WorkerProtocol;
  masterHost: string;
  masterPort: number;
  name: string;
  password: string;
  basedir: string;
  /** Environment the steps start from (stepBaseEnv). */
  env: Env;
  version: string;
  admin?: string;
  host?: string;
  /** Seconds between WebSocket pings; a ping unanswered by the next one drops the connection. */
  keepalive: number;
  /** Longest wait between connection attempts, seconds. */
  maxDelay: number;
  deleteLeftoverDirs: boolean;
}

/** Twisted's backoffPolicy as buildbot-worker uses it: 1 s × 1.5^attempt, capped, plus up to 1 s of jitter. */
export function retryDelay(attempt: number, maxDelay: number, jitter = Math.random()): number {
  return Math.min(1.5 ** attempt, maxDelay) + jitter;
}

export async function runWorker(opts: WorkerOptions, ctx: RunContext): Promise<void> {
  try {
    mkdirSync(opts.basedir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`--basedir ${opts.basedir} is a file, not a folder`, { hint: 'name a folder for the build folders' });
    throw outputError(error, opts.basedir, opts.basedir, '--basedir');
  }
  const log = (line: string) => ctx.reporter.info(`${new Date().toISOString()} bbm worker: ${line}`);
  const host = opts.masterHost.includes(':') ? `[${opts.masterHost}]` : opts.masterHost;
  const url = opts.protocol === 'pb' ? `${host}:${opts.masterPort} (PB)` : `ws://${host}:${opts.masterPort}`;
  let attempt = 0;
  for (;;) {
    if (ctx.signal?.aborted) return;
    log(`connecting to ${url} as ${opts.name}`);
    const { outcome, connected } = opts.protocol === 'pb' ? await connectPbOnce(opts, ctx, log) : await connectOnce(`ws://${host}:${opts.masterPort}`, opts, ctx, log);
    if (outcome !== 'lost') return;
    attempt = connected ? 0 : attempt + 1;
    const delay = retryDelay(attempt, opts.maxDelay);
    log(`retrying in ${delay.toFixed(1)} s`);
    const stop = await sleep(delay * 1000, ctx.signal);
    if (stop) return;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function connectOnce(url: string, opts: WorkerOptions, ctx: RunContext, log: (l: string) => void): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const auth = Buffer.from(`${opts.name}:${opts.password}`).toString('base64');
    const ws = new WebSocket(url, { headers: { Authorization: `Basic ${auth}` }, handshakeTimeout: 30_000, perMessageDeflate: false });
    let outcome: Outcome = 'lost';
    let connected = false;
    let settings: WorkerSettings = DEFAULT_SETTINGS;
    const running = new Map<string, Running>();
    let pingTimer: NodeJS.Timeout | undefined;
    let awaitingPong = false;

    const onStop = () => {
      outcome = 'stopped';
      log('stopping: interrupting running commands and closing the connection');
      for (const r of running.values()) r.abort.abort();
      ws.close(1000);
      // A socket that does not close in time is dropped.
      setTimeout(() => ws.terminate(), 5000).unref();
    };
    ctx.signal?.addEventListener('abort', onStop, { once: true });

    const handlers: Record<string, (msg: Message) => unknown> = {
      print: (msg) => {
        log(`message from the master: ${String(msg.message)}`);
        return null;
      },
      keepalive: () => null,
      set_worker_settings: (msg) => {
        const a = (msg.args ?? {}) as Record<string, unknown>;
        for (const k of ['buffer_size', 'buffer_timeout', 'newline_re', 'max_line_length']) {
          if (!(k in a)) throw new Error('message did not contain obligatory settings for worker');
        }
        settings = { bufferSize: Number(a.buffer_size), bufferTimeout: Number(a.buffer_timeout), newlineRe: String(a.newline_re), maxLineLength: Number(a.max_line_length) };
        return null;
      },
      get_worker_info: () =>
        workerInfo({ basedir: opts.basedir, env: opts.env, version: opts.version, admin: opts.admin, host: opts.host, deleteLeftoverDirs: opts.deleteLeftoverDirs }),
      start_command: (msg) => {
        for (const k of ['command_id', 'command_name', 'args']) if (!(k in msg)) throw new Error(`message did not contain obligatory "${k}" key`);
        const id = String(msg.command_id);
        const channel: CommandChannel = {
          update: (updates) => session.request({ op: 'update', args: updates, command_id: id }),
          complete: (failure) => session.request({ op: 'complete', args: failure, command_id: id }),
          call: (op, fields = {}) => session.request({ op, command_id: id, ...fields }),
          drained: () => session.drained(),
          isOpen: () => session.isOpen,
        };
        const r = startCommand({
          id,
          name: String(msg.command_name),
          args: (msg.args ?? {}) as Record<string, unknown>,
          settings,
          baseEnv: opts.env,
          channel,
          log,
          done: () => running.delete(id),
        });
        running.set(id, r);
        return null;
      },
      interrupt_command: (msg) => {
        const id = String(msg.command_id);
        const r = running.get(id);
        log(`asked to interrupt command ${id}: ${String(msg.why)}${r ? '' : ' (not running)'}`);
        if (r) {
          r.buffer.flush();
          r.abort.abort();
        }
        return null;
      },
      shutdown: () => {
        log('the master asked this worker to shut down');
        outcome = 'shutdown';
        // Like buildbot-worker: answer first, then go.
        setTimeout(() => ws.close(1000), 200);
        return null;
      },
    };

    const session = new MasterSession(
      ws,
      (msg) => {
        const h = handlers[msg.op];
        if (!h) throw new Error(`Command ${msg.op} does not exist.`);
        return h(msg);
      },
      log,
    );

    ws.on('unexpected-response', (_req, res) => {
      const refused = res.statusCode === 401 || res.statusCode === 403;
      log(
        refused
          ? `the master refused worker ${JSON.stringify(opts.name)} (HTTP ${res.statusCode}): check the worker name and its password file against master.cfg`
          : `the master answered the WebSocket upgrade with HTTP ${res.statusCode}: is ${url} the master's msgpack_experimental_v7 port?`,
      );
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      connected = true;
      log(`connected to the master at ${url}`);
      if (opts.keepalive > 0) {
        pingTimer = setInterval(() => {
          if (awaitingPong) {
            log(`no answer to a keepalive ping within ${opts.keepalive} s: dropping the connection`);
            ws.terminate();
            return;
          }
          awaitingPong = true;
          ws.ping();
        }, opts.keepalive * 1000);
      }
    });
    ws.on('pong', () => {
      awaitingPong = false;
    });
    ws.on('error', (error) => log(`connection error: ${error.message}`));
    ws.on('close', (code, reason) => {
      if (pingTimer) clearInterval(pingTimer);
      ctx.signal?.removeEventListener('abort', onStop);
      if (connected) log(`disconnected from the master (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
      // Builds on a lost connection are over for the master: their processes are stopped here too.
      for (const r of running.values()) r.abort.abort();
      resolve({ outcome, connected });
    });
  });
}
