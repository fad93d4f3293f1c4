// `bbm generate` for 1000 projects against 1 project (same run), and the start time of a real
// Buildbot master (until /api/v2 answers) with each generated config. Every master listens on
// 127.0.0.1 only; the 1000-project config uses webhooks (no pollers), so nothing is polled.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median, timeCommand } from '../lib.mjs';

const TYPES = ['python', 'maven', 'gradle', 'node', 'go', 'docker', 'auto'];

function config(n, { wwwPort, pbPort, poll }) {
  const projects = Array.from({ length: n }, (_, i) => ({
    name: `project-${i}`,
    repo: `/srv/git/project-${i}.git`,
    type: TYPES[i % TYPES.length],
    branches: ['master', 'develop'],
    deploy: i % 2 ? { branches: ['master'] } : false,
  }));
  return `import { defineConfig } from 'buildbot-marathon';

export default defineConfig(${JSON.stringify({
    registry: '127.0.0.1:5000',
    marathon: { url: 'http://127.0.0.1:8080' },
    buildbot: { url: `http://127.0.0.1:${wwwPort}/`, workers: [{ name: 'w1' }], www: { port: wwwPort }, workerPort: pbPort },
    changeSources: { pollInterval: poll ? 600 : 0, github: { secret: 'github-hook' } },
    projects,
  }, null, 2)});
`;
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function answers(url) {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts a master on the generated file and returns ms until /api/v2/builders answers 200. */
async function masterStart(dir, masterCfg, wwwPort) {
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
  try {
    const deadline = Date.now() + 300_000;
    while (!(await answers(`http://127.0.0.1:${wwwPort}/api/v2/builders?limit=1`))) {
      if (child.exitCode !== null) throw new Error(`master exited ${child.exitCode}; see ${master}/twistd.log`);
      if (Date.now() > deadline) throw new Error('master did not answer within 300 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return performance.now() - t0;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export default async function generateBench(ctx) {
  const root = mkdtempSync(path.join(tmpdir(), 'bbm-bench-generate-'));
  const rows = [];
  try {
    const cases = [];
    for (const [n, poll] of [[1, true], [1000, false]]) {
      const dir = path.join(root, `p${n}`);
      mkdirSync(dir);
      const ports = { wwwPort: await freePort(), pbPort: await freePort(), poll };
      writeFileSync(path.join(dir, 'ci.config.ts'), config(n, ports));
      cases.push({ n, dir, ports });
    }
    const gen = {};
    for (const { n, dir } of cases) gen[n] = median(timeCommand(process.execPath, [ctx.cli, 'generate'], { cwd: dir, runs: 3, warmup: 1 }));
    rows.push({ name: 'bbm generate, 1 project (baseline)', value: gen[1], unit: 'ms', digits: 0, note: 'median of 3; includes the ts-morph type check' });
    rows.push({ name: 'bbm generate, 1000 projects', value: gen[1000], unit: 'ms', digits: 0, note: `${(gen[1000] / gen[1]).toFixed(2)}x the 1-project run` });

    const start = {};
    for (const { n, dir, ports } of cases) {
      const cfg = readFileSync(path.join(dir, 'generated', 'master.cfg'), 'utf8');
      start[n] = await masterStart(path.join(dir, 'run'), cfg, ports.wwwPort);
      rmSync(path.join(dir, 'run'), { recursive: true, force: true });
    }
    rows.push({ name: 'master start until /api/v2 answers, 1 project (baseline)', value: start[1] / 1000, unit: 's', digits: 1, note: 'fresh DB, 1 poller, 2 schedulers' });
    rows.push({ name: 'master start until /api/v2 answers, 1000 projects', value: start[1000] / 1000, unit: 's', digits: 1, note: `fresh DB, webhooks (0 pollers), 2 schedulers; ${(start[1000] / start[1]).toFixed(1)}x baseline` });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}
