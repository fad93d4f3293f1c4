/**
 * A Debian Buildbot 3.7 master offering `msgpack_experimental_v7`, for `bbm worker`'s tests.
 *
 * Buildbot 3.7 binds its msgpack port on every interface (manager/msgpack.py takes a bare port
 * number), so the master runs in a private network namespace with only loopback up: nothing outside
 * this machine, or outside the namespace, can reach it. Its REST API listens on a unix socket in the
 * test's folder (reachable from the test), workers join the namespace with nsenter.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { BUILDBOT, run, stop, until, writeWwwStub } from './buildbot.js';
import { CLI } from './processes.js';

/** Ports inside the namespace (private to it, so fixed). */
export const MSGPACK_PORT = 9990;
export const PB_PORT = 9989;

export interface Namespace {
  pid: number;
  /** spawn() a program inside the namespace. */
  spawn(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdio?: 'ignore' | 'pipe'; log?: string }): ChildProcess;
  close(): Promise<void>;
}

export const netnsAvailable = (): boolean => spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' }).status === 0;

export async function startNamespace(): Promise<Namespace> {
  const holder = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && echo ready && exec sleep 86400'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`unshare -n exited ${code}`)));
    holder.stdout!.once('data', () => resolve());
  });
  const pid = holder.pid!;
  return {
    pid,
    spawn(file, args, opts) {
      const out = opts.log ? (mkdirSync(path.dirname(opts.log), { recursive: true }), (writeFileSync(opts.log, ''), 'pipe')) : (opts.stdio ?? 'ignore');
      const child = spawn('nsenter', ['-t', String(pid), '-n', '--', file, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', out, out] });
      if (opts.log) {
        const log = opts.log;
        const append = (d: Buffer) => writeFileSync(log, d, { flag: 'a' });
        child.stdout?.on('data', append);
        child.stderr?.on('data', append);
      }
      child.on('error', () => {});
      return child;
    },
    close: () => stop(holder, 5000),
  };
}

export interface Worker {
  name: string;
  password: string;
}

/** master.cfg lines that put the REST API on a unix socket and offer both worker protocols. */
export function masterProtocols(socket: string): string {
  return [
    `c['protocols'] = {'pb': {'port': 'tcp:${PB_PORT}:interface=127.0.0.1'}, 'msgpack_experimental_v7': {'port': ${MSGPACK_PORT}}}`,
    `c['www'] = dict(port=${JSON.stringify(`unix:${socket}`)}, plugins={}, change_hook_dialects={'poller': True})`,
  ].join('\n');
}

export class TestMaster {
  readonly dir: string;
  readonly socket: string;
  readonly log: string;
  private child: ChildProcess | undefined;
  private readonly agent: Agent;

  constructor(
    readonly ns: Namespace,
    root: string,
  ) {
    this.dir = path.join(root, 'master');
    this.socket = path.join(root, 'www.sock');
    this.log = path.join(this.dir, 'twistd.log');
    this.agent = new Agent({ connect: { socketPath: this.socket } });
  }

  /** create-master with the stub www plugin, then master.cfg. */
  create(masterCfg: string, root: string): void {
    const env = { PATH: '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8' };
    run(BUILDBOT, ['create-master', '-q', this.dir], { env });
    writeFileSync(path.join(this.dir, 'master.cfg'), masterCfg);
    const stub = writeWwwStub(path.join(root, 'wwwstub'));
    const tac = path.join(this.dir, 'buildbot.tac');
    writeFileSync(tac, `import sys; sys.path.insert(0, ${JSON.stringify(stub)})\n${readFileSync(tac, 'utf8')}`);
  }

  async start(): Promise<void> {
    this.child = this.ns.spawn(BUILDBOT, ['start', '--nodaemon', this.dir], { cwd: this.dir, env: { PATH: '/usr/bin:/bin', HOME: this.dir, LANG: 'C.UTF-8' } });
    await until('the master to answer on its REST socket', async () => ((await this.get<{ masters: { active: boolean }[] }>('/masters')).masters.some((m) => m.active) ? true : undefined), 120_000, this.log);
  }

  async stop(): Promise<void> {
    await stop(this.child);
    this.child = undefined;
  }

  async get<T>(p: string): Promise<T> {
    const res = await fetch(`http://localhost/api/v2${p}`, { dispatcher: this.agent });
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return (await res.json()) as T;
  }

  async text(p: string): Promise<string> {
    const res = await fetch(`http://localhost/api/v2${p}`, { dispatcher: this.agent });
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return res.text();
  }

  async post(p: string, body: unknown): Promise<unknown> {
    const res = await fetch(`http://localhost${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), dispatcher: this.agent });
    return res.json();
  }

  async worker(name: string): Promise<{ name: string; connected_to: unknown[]; workerinfo: Record<string, unknown> } | undefined> {
    const { workers } = await this.get<{ workers: { name: string; connected_to: unknown[]; workerinfo: Record<string, unknown> }[] }>(`/workers`);
    return workers.find((w) => w.name === name);
  }

  async waitConnected(name: string, timeoutMs = 60_000): Promise<void> {
    await until(`worker ${name} to connect`, async () => ((await this.worker(name))?.connected_to.length ? true : undefined), timeoutMs, this.log);
  }

  /** Forces a build of `builder` and waits for it to finish; returns it with its steps. */
  async build(builder: string, params: Record<string, unknown> = {}, scheduler = 'force', timeoutMs = 240_000): Promise<FinishedBuild> {
    const { builders } = await this.get<{ builders: { builderid: number }[] }>(`/builders?name=${encodeURIComponent(builder)}`);
    const builderid = builders[0]!.builderid;
    const answer = (await this.post(`/api/v2/forceschedulers/${scheduler}`, { jsonrpc: '2.0', method: 'force', id: 1, params: { builderid: String(builderid), ...params } })) as {
      result?: [number, Record<string, number>];
      error?: unknown;
    };
    if (!answer.result) throw new Error(`force ${builder}: ${JSON.stringify(answer.error)}`);
    const brid = answer.result[1][String(builderid)]!;
    return this.finished(brid, timeoutMs);
  }

  async startBuild(builder: string, scheduler = 'force'): Promise<number> {
    const { builders } = await this.get<{ builders: { builderid: number }[] }>(`/builders?name=${encodeURIComponent(builder)}`);
    const builderid = builders[0]!.builderid;
    const answer = (await this.post(`/api/v2/forceschedulers/${scheduler}`, { jsonrpc: '2.0', method: 'force', id: 1, params: { builderid: String(builderid) } })) as { result: [number, Record<string, number>] };
    return answer.result[1][String(builderid)]!;
  }

  async finished(brid: number, timeoutMs = 240_000): Promise<FinishedBuild> {
    const build = await until(
      `build request ${brid} to finish`,
      async () => (await this.get<{ builds: Build[] }>(`/buildrequests/${brid}/builds`)).builds.find((b) => b.complete),
      timeoutMs,
      this.log,
    );
    const { steps } = await this.get<{ steps: Step[] }>(`/builds/${build.buildid}/steps`);
    return { ...build, steps };
  }

  async stepLog(buildid: number, stepNumber: number, log = 'stdio'): Promise<string> {
    return this.text(`/builds/${buildid}/steps/${stepNumber}/logs/${log}/raw`);
  }

  async stepLogs(buildid: number, stepNumber: number): Promise<string[]> {
    const { builds } = await this.get<{ builds: unknown[] }>(`/builds/${buildid}`);
    void builds;
    const { steps } = await this.get<{ steps: { stepid: number; number: number }[] }>(`/builds/${buildid}/steps`);
    const stepid = steps.find((s) => s.number === stepNumber)!.stepid;
    const { logs } = await this.get<{ logs: { slug: string }[] }>(`/steps/${stepid}/logs`);
    return logs.map((l) => l.slug);
  }
}

export interface Build {
  buildid: number;
  number: number;
  complete: boolean;
  results: number | null;
  state_string: string;
}
export interface Step {
  stepid: number;
  number: number;
  name: string;
  results: number | null;
  state_string: string;
}
export type FinishedBuild = Build & { steps: Step[] };

/** `bbm worker` inside the namespace, connecting to the master's msgpack port (or its PB port with `protocol: 'pb'`; or `port`: a proxy in front of it). */
export function startBbmWorker(ns: Namespace, opts: { name: string; passwordFile: string; basedir: string; env?: NodeJS.ProcessEnv; log?: string; extra?: string[]; protocol?: 'pb' | 'msgpack'; port?: number }): ChildProcess {
  const connect = opts.protocol === 'pb' ? ['--protocol', 'pb', '--master', `127.0.0.1:${opts.port ?? PB_PORT}`] : ['--master', `127.0.0.1:${opts.port ?? MSGPACK_PORT}`];
  return ns.spawn(process.execPath, [CLI, 'worker', ...connect, '--name', opts.name, '--password-file', opts.passwordFile, '--basedir', opts.basedir, ...(opts.extra ?? [])], {
    env: opts.env ?? { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: opts.basedir, LANG: 'C.UTF-8' },
    log: opts.log,
  });
}
