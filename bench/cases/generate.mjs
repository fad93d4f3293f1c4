// `bbm generate` for 1000 projects against 1 project (same run), and a real Buildbot master (Debian's
// 3.7) on each generated config: its start until /api/v2 answers, then a reconfig (SIGHUP, as
// `buildbot reconfig` sends) with the same file and one with a project added, each until the master
// logs "configuration update complete". The 1000-project master runs twice: on webhooks (no pollers)
// and with one GitPoller per repository (1000 repositories, polled at launch). Every master listens
// on 127.0.0.1 only, on ports free at run time, and is stopped before the case ends.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, median, timeCommand } from '../lib.mjs';

const GEN_RUNS = Number(process.env.BBM_BENCH_GENERATE_RUNS ?? 3); // runs of bbm generate per size
const TYPES = ['python', 'maven', 'gradle', 'node', 'go', 'docker', 'auto'];

function config(n, { wwwPort, pbPort, poll, repos }) {
  const projects = Array.from({ length: n }, (_, i) => ({
    name: `project-${i}`,
    repo: `${repos}/project-${i}.git`,
    type: TYPES[i % TYPES.length],
    branches: ['master', 'develop'],
    deploy: i % 2 ? { branches: ['master'] } : false,
  }));
  return `import { defineConfig } from 'buildbot-marathon';

export default defineConfig(${JSON.stringify({
    registry: '127.0.0.1:5000',
    marathon: { url: 'http://127.0.0.1:8080' },
    buildbot: { version: '3.7', url: `http://127.0.0.1:${wwwPort}/`, workers: [{ name: 'w1' }], www: { port: wwwPort }, workerPort: pbPort },
    changeSources: { pollInterval: poll ? 600 : 0, github: { secret: 'github-hook' } },
    projects,
  }, null, 2)});
`;
}


async function answers(url) {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One bare repository with a commit on master and develop; every project's repository is a link to it. */
function makeRepos(dir, n) {
  const env = { PATH: '/usr/bin:/bin', HOME: dir, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.com' };
  const git = (...args) => {
    const r = spawnSync('git', args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  const work = path.join(dir, 'work');
  git('init', '-q', '-b', 'master', work);
  writeFileSync(path.join(work, 'README'), 'bench\n');
  git('-C', work, 'add', 'README');
  git('-C', work, 'commit', '-q', '-m', 'bench');
  git('-C', work, 'branch', 'develop');
  const bare = path.join(dir, 'one.git');
  git('clone', '-q', '--bare', work, bare);
  for (let i = 0; i < n; i++) symlinkSync(bare, path.join(dir, `project-${i}.git`));
}

/** A master on the generated file, started; returns ms until /api/v2/builders answers 200, and the running master. */
async function startMaster(dir, masterCfg, wwwPort) {
  const env = { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' };
  mkdirSync(dir, { recursive: true });
  const master = path.join(dir, 'master');
  const r = spawnSync('/usr/bin/buildbot', ['create-master', '-q', master], { env });
  if (r.status !== 0) throw new Error(`create-master: ${r.stderr}`);
  writeFileSync(path.join(master, 'master.cfg'), masterCfg);
  mkdirSync(path.join(master, 'secrets'), { mode: 0o700 });
  chmodSync(path.join(master, 'secrets'), 0o700);
  for (const s of ['worker-w1', 'github-hook']) writeFileSync(path.join(master, 'secrets', s), 'bench-only', { mode: 0o600 });
  // The stub `base` www plugin (buildbot/buildbot master/buildbot/www/service.py wants one): Debian's Buildbot ships no UI.
  const stub = path.join(dir, 'wwwstub');
  mkdirSync(path.join(stub, 'buildbot_www', 'static'), { recursive: true });
  mkdirSync(path.join(stub, 'buildbot_www-3.7.0.egg-info'));
  writeFileSync(path.join(stub, 'buildbot_www', '__init__.py'), 'from buildbot.www.plugin import Application\nep = Application(__name__, "stub")\n');
  writeFileSync(path.join(stub, 'buildbot_www', 'VERSION'), '3.7.0');
  writeFileSync(path.join(stub, 'buildbot_www', 'static', 'index.html'), '<!doctype html>');
  writeFileSync(path.join(stub, 'buildbot_www-3.7.0.egg-info', 'entry_points.txt'), '[buildbot.www]\nbase = buildbot_www:ep\n');
  const tac = path.join(master, 'buildbot.tac');
  writeFileSync(tac, `import sys; sys.path.insert(0, ${JSON.stringify(stub)})\n${readFileSync(tac, 'utf8')}`);

  const t0 = performance.now();
  const child = spawn('/usr/bin/buildbot', ['start', '--nodaemon', master], { cwd: master, env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    // a 1000-builder master takes long to unregister its builders; the folder is removed anyway
    if ((await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])) === false) child.kill('SIGKILL');
    await exited;
  };
  try {
    const deadline = Date.now() + 900_000;
    while (!(await answers(`http://127.0.0.1:${wwwPort}/api/v2/builders?limit=1`))) {
      if (child.exitCode !== null) throw new Error(`master exited ${child.exitCode}: ${readFileSync(path.join(master, 'twistd.log'), 'utf8').slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('master did not answer within 900 s');
      await sleep(100);
    }
    return { ms: performance.now() - t0, master, child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGHUP (what `buildbot reconfig` sends) with this master.cfg; ms until the master logs the update complete. */
async function reconfig(m, masterCfg) {
  const log = path.join(m.master, 'twistd.log');
  writeFileSync(path.join(m.master, 'master.cfg'), masterCfg);
  const offset = statSync(log).size;
  const t0 = performance.now();
  m.child.kill('SIGHUP');
  const deadline = Date.now() + 900_000;
  for (;;) {
    const text = readFileSync(log).subarray(offset).toString('utf8');
    const done = /configuration update (complete|aborted|partially applied)[^\n]*\(took ([0-9.]+) seconds\)/.exec(text) ?? /WARNING: configuration update partially applied[^\n]*/.exec(text);
    if (done) {
      if (done[1] !== 'complete') throw new Error(`reconfig failed: ${text.slice(-2000)}`);
      return performance.now() - t0;
    }
    if (m.child.exitCode !== null) throw new Error(`master exited during reconfig: ${text.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error('reconfig did not finish within 900 s');
    await sleep(100);
  }
}

export default async function generateBench(ctx) {
  const root = mkdtempSync(path.join(tmpdir(), 'bbm-bench-generate-'));
  const rows = [];
  try {
    const repos = path.join(root, 'repos');
    mkdirSync(repos);
    makeRepos(repos, 1001);
    const cases = [];
    // BBM_BENCH_POLLERS=0 leaves out the 1000-poller master (on a loaded machine it takes many minutes)
    const variants = [['1 project', 1, true], ['1000 projects, webhooks', 1000, false], ['1000 projects, 1000 pollers', 1000, true]];
    for (const [label, n, poll] of variants.filter((v) => process.env.BBM_BENCH_POLLERS !== '0' || !(v[1] > 1 && v[2]))) {
      const dir = path.join(root, `c${cases.length}`);
      mkdirSync(dir);
      const ports = { wwwPort: await freePort(), pbPort: await freePort(), poll, repos };
      writeFileSync(path.join(dir, 'ci.config.ts'), config(n, ports));
      // the same config with one project more, for the reconfig that adds one
      const more = path.join(dir, 'more');
      mkdirSync(more);
      writeFileSync(path.join(more, 'ci.config.ts'), config(n + 1, ports));
      cases.push({ label, n, poll, dir, more, ports });
    }
    const gen = {};
    for (const { n, dir } of cases.slice(0, 2)) gen[n] = median(timeCommand(process.execPath, [ctx.cli, 'generate'], { cwd: dir, runs: GEN_RUNS, warmup: GEN_RUNS > 1 ? 1 : 0 }));
    rows.push({ name: 'bbm generate, 1 project (baseline)', value: gen[1], unit: 'ms', digits: 0, baseline: true, note: `median of ${GEN_RUNS}; includes the ts-morph type check` });
    rows.push({ name: 'bbm generate, 1000 projects', value: gen[1000], unit: 'ms', digits: 0, note: `${(gen[1000] / gen[1]).toFixed(2)}x the 1-project run` });

    const base = {};
    for (const c of cases) {
      const file = (d) => {
        if (!statSafe(path.join(d, 'generated', 'master.cfg'))) {
          const r = spawnSync(process.execPath, [ctx.cli, 'generate'], { cwd: d, encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`bbm generate: ${r.stderr}`);
        }
        return readFileSync(path.join(d, 'generated', 'master.cfg'), 'utf8');
      };
      const cfg = file(c.dir);
      const cfgMore = file(c.more);
      let m;
      try {
        m = await startMaster(path.join(c.dir, 'run'), cfg, c.ports.wwwPort);
      } catch (error) {
        if (c.n === 1) throw error;
        // the other variants' rows stay; this one says why it has no number
        rows.push({ name: `master start, ${c.label}`, value: 'no number', note: String(error.message).split('\n')[0] });
        rmSync(path.join(c.dir, 'run'), { recursive: true, force: true });
        continue;
      }
      let same;
      let added;
      try {
        same = await reconfig(m, cfg);
        added = await reconfig(m, cfgMore);
      } finally {
        await m.stop();
        rmSync(path.join(c.dir, 'run'), { recursive: true, force: true });
      }
      const what = c.poll ? `${c.n} poller${c.n > 1 ? 's' : ''}` : 'webhooks, no pollers';
      if (c.n === 1) {
        Object.assign(base, { start: m.ms, same, added });
        rows.push({ name: 'master start until /api/v2 answers, 1 project (baseline)', value: m.ms, unit: 'ms', digits: 0, baseline: true, note: `fresh DB, ${what}` });
        rows.push({ name: 'master reconfig, no change, 1 project (baseline)', value: same, unit: 'ms', digits: 0, baseline: true, note: 'SIGHUP until "configuration update complete"' });
        rows.push({ name: 'master reconfig, one project added, 1 project (baseline)', value: added, unit: 'ms', digits: 0, baseline: true, note: '1 -> 2 projects' });
      } else {
        rows.push({ name: `master start until /api/v2 answers, ${c.label}`, value: m.ms, unit: 'ms', digits: 0, note: `fresh DB, ${what}; ${(m.ms / base.start).toFixed(1)}x baseline` });
        rows.push({ name: `master reconfig, no change, ${c.label}`, value: same, unit: 'ms', digits: 0, note: `${(same / base.same).toFixed(1)}x baseline` });
        rows.push({ name: `master reconfig, one project added, ${c.label}`, value: added, unit: 'ms', digits: 0, note: `1000 -> 1001 projects; ${(added / base.added).toFixed(1)}x baseline` });
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

function statSafe(file) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}
