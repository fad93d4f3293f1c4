// `bbm worker` (msgpack_experimental_v7 and PB) beside buildbot-worker 3.7 (Debian, PB), same run, same Debian master: time from start to
// connected (as the master's REST API sees it), idle memory (RSS of the worker's process tree after
// 5 s connected and idle), and the per-command overhead of 500 `true` shell steps (build wall time /
// 500, builds run one at a time). The master offers PB and msgpack_experimental_v7 and runs in a
// private network namespace with only loopback (3.7 binds its msgpack port on every interface);
// its REST API is on a unix socket. Needs root, util-linux, iproute2, buildbot, buildbot-worker.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median } from '../lib.mjs';

const STEPS = Number(process.env.BBM_BENCH_WORKER_STEPS ?? 500);
const STARTS = Number(process.env.BBM_BENCH_WORKER_STARTS ?? 3);
const MSGPACK = 9990;
const PB = 9989;

function api(socket, p, body) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: p, method: body ? 'POST' : 'GET', headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => (res.statusCode < 300 ? resolve(JSON.parse(data)) : reject(new Error(`${p}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

async function until(what, probe, ms = 120_000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function stopChild(child, ms = 30_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** RSS in MB of pid and all its descendants. */
function treeRss(pid) {
  const children = new Map();
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
    } catch {}
  }
  let kb = 0;
  const walk = (p) => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {}
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return kb / 1024;
}

export default async function workerBench(ctx) {
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['-n', 'true']).status !== 0) throw new Error('needs root and unshare -n (network namespaces)');
  const root = mkdtempSync(path.join(tmpdir(), 'bbm-bench-worker-'));
  chmodSync(root, 0o755);
  const children = [];
  try {
    const holder = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && echo ready && exec sleep 86400'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(holder);
    await new Promise((r) => holder.stdout.once('data', r));
    const inNs = (file, args, opts) => {
      const c = spawn('nsenter', ['-t', String(holder.pid), '-n', '--', file, ...args], { stdio: 'ignore', ...opts });
      children.push(c);
      return c;
    };
    const socket = path.join(root, 'www.sock');
    const env = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: root, LANG: 'C.UTF-8' };
    const masterDir = path.join(root, 'master');
    spawnSync('/usr/bin/buildbot', ['create-master', '-q', masterDir], { env });
    // The smallest `base` www plugin, so Debian's master serves /api/v2 (buildbot/www/service.py needs one).
    const stub = path.join(root, 'wwwstub');
    mkdirSync(path.join(stub, 'buildbot_www', 'static'), { recursive: true });
    mkdirSync(path.join(stub, 'buildbot_www-3.7.0.egg-info'), { recursive: true });
    writeFileSync(path.join(stub, 'buildbot_www', '__init__.py'), 'from buildbot.www.plugin import Application\nep = Application(__name__, "stub")\n');
    writeFileSync(path.join(stub, 'buildbot_www', 'VERSION'), '3.7.0');
    writeFileSync(path.join(stub, 'buildbot_www', 'static', 'index.html'), '<!doctype html>');
    writeFileSync(path.join(stub, 'buildbot_www-3.7.0.egg-info', 'entry_points.txt'), '[buildbot.www]\nbase = buildbot_www:ep\n');
    const tac = path.join(masterDir, 'buildbot.tac');
    writeFileSync(tac, `import sys; sys.path.insert(0, ${JSON.stringify(stub)})\n${readFileSync(tac, 'utf8')}`);
    writeFileSync(
      path.join(masterDir, 'master.cfg'),
      `from buildbot.plugins import worker, schedulers, util, steps
c = BuildmasterConfig = {}
c['workers'] = [worker.Worker('%s%d' % (p, i), 'bench-' + p) for p in ('wp', 'wb', 'wq') for i in range(${STARTS})]
c['protocols'] = {'pb': {'port': 'tcp:${PB}:interface=127.0.0.1'}, 'msgpack_experimental_v7': {'port': ${MSGPACK}}}
c['www'] = dict(port=${JSON.stringify(`unix:${socket}`)}, plugins={})
c['db'] = {'db_url': 'sqlite:///state.sqlite'}
c['buildbotNetUsageData'] = None
def many():
    f = util.BuildFactory()
    for i in range(${STEPS}):
        f.addStep(steps.ShellCommand(name='true-%d' % i, command=['true']))
    return f
c['builders'] = [util.BuilderConfig(name='many-' + p, workernames=['%s%d' % (p, i) for i in range(${STARTS})], factory=many()) for p in ('wp', 'wb', 'wq')]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=['many-wp', 'many-wb', 'many-wq'])]
`,
    );
    const master = inNs('/usr/bin/buildbot', ['start', '--nodaemon', masterDir], { cwd: masterDir, env });
    await until('the master', async () => (await api(socket, '/api/v2/masters')).masters.some((m) => m.active), 180_000, 300);

    // Each start uses a fresh worker name (wp0, wp1…), so no start waits for the master to notice the previous stop.
    const pwFile = (p) => {
      const f = path.join(root, `${p}-password`);
      writeFileSync(f, `bench-${p}`, { mode: 0o600 });
      return f;
    };
    const starters = {
      'buildbot-worker': (i) => {
        const dir = path.join(root, `worker-py${i}`);
        spawnSync('/usr/bin/buildbot-worker', ['create-worker', '-q', dir, `127.0.0.1:${PB}`, `wp${i}`, 'bench-wp'], { env });
        return () => inNs('/usr/bin/buildbot-worker', ['start', '--nodaemon', dir], { cwd: dir, env });
      },
      'bbm worker (msgpack)': (i) => () => inNs(process.execPath, [ctx.cli, 'worker', '--master', `127.0.0.1:${MSGPACK}`, '--name', `wb${i}`, '--password-file', pwFile('wb'), '--basedir', path.join(root, `worker-wb${i}`)], { env }),
      'bbm worker (PB)': (i) => () => inNs(process.execPath, [ctx.cli, 'worker', '--protocol', 'pb', '--master', `127.0.0.1:${PB}`, '--name', `wq${i}`, '--password-file', pwFile('wq'), '--basedir', path.join(root, `worker-wq${i}`)], { env }),
    };
    const prefix = { 'buildbot-worker': 'wp', 'bbm worker (msgpack)': 'wb', 'bbm worker (PB)': 'wq' };
    const connected = async (name) => {
      const { workers } = await api(socket, '/api/v2/workers');
      return workers.find((x) => x.name === name)?.connected_to.length > 0;
    };
    const rows = [];
    const startMs = Object.fromEntries(Object.keys(starters).map((k) => [k, []]));
    const live = {};
    for (let i = 0; i < STARTS; i++) {
      for (const kind of Object.keys(starters)) {
        const start = starters[kind](i);
        const t0 = Date.now();
        const child = start();
        await until(`${kind} to connect`, () => connected(`${prefix[kind]}${i}`), 60_000, 20);
        startMs[kind].push(Date.now() - t0);
        if (i < STARTS - 1) await stopChild(child);
        else live[kind] = child;
      }
    }
    await new Promise((r) => setTimeout(r, 5000));
    const rss = Object.fromEntries(Object.entries(live).map(([k, c]) => [k, treeRss(c.pid)]));
    const buildMs = {};
    for (const kind of Object.keys(starters)) {
      const builder = `many-${prefix[kind]}`;
      const { builders } = await api(socket, `/api/v2/builders?name=${builder}`);
      const id = builders[0].builderid;
      const t0 = Date.now();
      const answer = await api(socket, '/api/v2/forceschedulers/force', { jsonrpc: '2.0', method: 'force', id: 1, params: { builderid: String(id) } });
      const brid = answer.result[1][String(id)];
      const build = await until(`${builder} to finish`, async () => (await api(socket, `/api/v2/buildrequests/${brid}/builds`)).builds.find((b) => b.complete), 900_000, 200);
      if (build.results !== 0) throw new Error(`${builder} finished with results ${build.results}`);
      buildMs[kind] = Date.now() - t0;
    }
    for (const kind of Object.keys(starters)) {
      const sorted = [...startMs[kind]].sort((a, b) => a - b);
      rows.push({ name: `${kind}: start → connected (median of ${STARTS})`, value: median(sorted), unit: 'ms', note: `min ${sorted[0]}, max ${sorted.at(-1)}` });
    }
    for (const kind of Object.keys(starters)) rows.push({ name: `${kind}: idle RSS after 5 s connected`, value: rss[kind], unit: 'MB', note: 'process tree' });
    for (const kind of Object.keys(starters)) rows.push({ name: `${kind}: ${STEPS} \`true\` shell steps, per step`, value: buildMs[kind] / STEPS, unit: 'ms', digits: 2, note: `build ${(buildMs[kind] / 1000).toFixed(1)} s incl. the master's share` });
    for (const kind of ['bbm worker (msgpack)', 'bbm worker (PB)']) {
      rows.push({ name: `${kind} / buildbot-worker: per step`, value: buildMs[kind] / buildMs['buildbot-worker'], unit: 'x', digits: 2 });
    }
    await stopChild(master, 60_000);
    return rows;
  } finally {
    for (const c of children.reverse()) await stopChild(c, 10_000);
    rmSync(root, { recursive: true, force: true });
  }
}
