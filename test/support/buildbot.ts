/**
 * Real Buildbot 3.7 (Debian packages) for the generator's tests: checkconfig, loading a master.cfg
 * in Python to read back what it built, and a running master and worker in a temporary folder.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PYTHON = '/usr/bin/python3';
export const BUILDBOT = '/usr/bin/buildbot';
export const BUILDBOT_WORKER = '/usr/bin/buildbot-worker';

/** A master directory with master.cfg and an (empty, 700) secrets dir, as checkconfig needs. */
export function masterDir(dir: string, masterCfg: string, secrets: Record<string, string> = {}): string {
  mkdirSync(path.join(dir, 'secrets'), { recursive: true, mode: 0o700 });
  chmodSync(path.join(dir, 'secrets'), 0o700);
  for (const [name, value] of Object.entries(secrets)) writeFileSync(path.join(dir, 'secrets', name), value, { mode: 0o600 });
  writeFileSync(path.join(dir, 'master.cfg'), masterCfg);
  return dir;
}

export function checkconfig(dir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(BUILDBOT, ['checkconfig', dir], { cwd: dir, timeout: 120_000, env: { PATH: '/usr/bin:/bin', HOME: dir } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

/** What the tests read from Buildbot's REST API (`/api/v2`): properties as `[value, source]`, a build, a step. */
export type Props = Record<string, [unknown, string]>;
export interface Build {
  buildid: number;
  number: number;
  complete: boolean;
  results: number | null;
}
export interface Step {
  number: number;
  name: string;
  results: number | null;
  state_string: string;
}

export interface MasterSummary {
  projects: unknown[];
  title: string;
  builders: { name: string; workernames: string[]; steps: string[] }[];
  schedulers: string[];
  pollers: { repourl: string; name: string; branches: string[] }[];
  hooks: string[];
}

/** Executes master.cfg in Python (what the master does first) and reports what it built, as JSON. */
export function summarize(dir: string): MasterSummary {
  const script = `
import json, sys
ns = {'__file__': 'master.cfg'}
exec(compile(open('master.cfg').read(), 'master.cfg', 'exec'), ns)
c = ns['BuildmasterConfig']
def steps(b):
    return [f.kwargs.get('name', f.factory.__name__) for f in b.factory.steps]
print(json.dumps({
  'projects': ns['PROJECTS'],
  'title': c['title'],
  'builders': [{'name': b.name, 'workernames': b.workernames, 'steps': steps(b)} for b in c['builders']],
  'schedulers': [s.name for s in c['schedulers']],
  'pollers': [{'repourl': p._config_args[0], 'name': p.name, 'branches': p._config_kwargs['branches']} for p in c['change_source']],
  'hooks': sorted(c['www']['change_hook_dialects'].keys()),
}))
`;
  const r = spawnSync(PYTHON, ['-c', script], { cwd: dir, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`master.cfg failed in Python: ${r.stderr}`);
  return JSON.parse(r.stdout) as MasterSummary;
}

export { freePort } from './ports.js';

/**
 * The smallest `base` www plugin: lets a Debian master serve /api/v2 (buildbot/buildbot
 * master/buildbot/www/service.py refuses to start without a `base` app; master/buildbot/www/plugin.py
 * reads its VERSION and static/). Test-only.
 */
export function writeWwwStub(dir: string): string {
  const pkg = path.join(dir, 'buildbot_www');
  mkdirSync(path.join(pkg, 'static'), { recursive: true });
  mkdirSync(path.join(dir, 'buildbot_www-3.7.0.egg-info'), { recursive: true });
  writeFileSync(path.join(pkg, '__init__.py'), 'from buildbot.www.plugin import Application\nep = Application(__name__, "stub UI for tests")\n');
  writeFileSync(path.join(pkg, 'VERSION'), '3.7.0');
  writeFileSync(path.join(pkg, 'static', 'index.html'), '<!doctype html><title>stub</title>');
  writeFileSync(path.join(dir, 'buildbot_www-3.7.0.egg-info', 'entry_points.txt'), '[buildbot.www]\nbase = buildbot_www:ep\n');
  return dir;
}

export function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(file, args, { ...opts, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A foreground (`--nodaemon`) Buildbot process that this test owns by pid. */
export function startForeground(file: string, dir: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(file, ['start', '--nodaemon', dir], { cwd: dir, env, stdio: ['ignore', 'ignore', 'ignore'] });
  child.on('error', () => {});
  return child;
}

export async function stop(child: ChildProcess | undefined, timeoutMs = 60_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, logFile?: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      let tail = '';
      if (logFile) {
        try {
          tail = `\n--- ${logFile} (tail) ---\n${readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n')}`;
        } catch {}
      }
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${tail}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The web console's www plugin in this repository (buildbot/master/console). */
export const CONSOLE_PLUGIN = path.resolve(import.meta.dirname, '../../buildbot/master/console');

/**
 * A master in `root/master` running `masterCfg`, with the stub `base` www plugin (or, with
 * `console`, the web console's plugin) first on its sys.path; waits until its REST API answers.
 */
export async function startMaster(root: string, masterCfg: string, www: string, opts: { console?: boolean } = {}): Promise<ChildProcess> {
  const masterDir = path.join(root, 'master');
  const cleanEnv = { PATH: '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8' };
  run(BUILDBOT, ['create-master', '-q', masterDir], { env: cleanEnv });
  writeFileSync(path.join(masterDir, 'master.cfg'), masterCfg);
  // the console plugin of this repository (its `base` and `bbm` entry points; `npm run build` made its static files)
  const stub = opts.console ? CONSOLE_PLUGIN : writeWwwStub(path.join(root, 'wwwstub'));
  const tac = path.join(masterDir, 'buildbot.tac');
  writeFileSync(tac, `import sys; sys.path.insert(0, ${JSON.stringify(stub)})\n${readFileSync(tac, 'utf8')}`);
  const master = startForeground(BUILDBOT, masterDir, cleanEnv);
  await until('the master to answer', async () => ((await fetch(`${www}api/v2/masters`)).ok ? true : undefined), 120_000, path.join(masterDir, 'twistd.log'));
  return master;
}

/** Logs in the way the web UI does (basic auth on /auth/login); returns the session cookie. */
export async function login(www: string, user: string, password: string): Promise<string> {
  const res = await fetch(`${www}auth/login`, {
    headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    redirect: 'manual',
  });
  // The session cookie is set twice (empty, then with the user): the last one counts.
  const cookie = res.headers.getSetCookie().filter((c) => c.startsWith('TWISTED_SESSION=')).at(-1)?.split(';')[0] ?? '';
  if (!cookie) throw new Error(`login as ${user}: no session cookie (HTTP ${res.status})`);
  return cookie;
}

/** One JSON-RPC control call (what the UI's buttons send); the HTTP status and the answer. */
export async function control(api: string, endpoint: string, method: string, params: Record<string, unknown>, cookie = ''): Promise<{ status: number; body: string }> {
  const res = await fetch(`${api}/${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', method, id: 1, params }),
  });
  return { status: res.status, body: await res.text() };
}

/**
 * A worker `name` in `root/worker-<name>` connected to the master's PB port, running the real `bbm`
 * (dist/cli.js) through a PATH shim with a clean environment. The password goes into the worker's
 * tac file, never onto a command line.
 */
export function startWorker(root: string, pbPort: number, name: string, password: string): ChildProcess {
  const cleanEnv = { PATH: '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8' };
  const shim = path.join(root, `bin-${name}`);
  mkdirSync(shim, { recursive: true });
  const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');
  writeFileSync(path.join(shim, 'bbm'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} "$@"\n`, { mode: 0o755 });
  const dir = path.join(root, `worker-${name}`);
  run(BUILDBOT_WORKER, ['create-worker', '-q', dir, `127.0.0.1:${pbPort}`, name, 'placeholder'], { env: cleanEnv });
  const tac = path.join(dir, 'buildbot.tac');
  writeFileSync(tac, readFileSync(tac, 'utf8').replace("passwd = 'placeholder'", `passwd = ${JSON.stringify(password)}`));
  return startForeground(BUILDBOT_WORKER, dir, { ...cleanEnv, PATH: `${shim}:${path.dirname(process.execPath)}:/usr/bin:/bin` });
}
