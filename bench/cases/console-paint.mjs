// The web console's first meaningful paint with a cold cache: a fresh browser context (no cache, no
// cookies) opens the console on a real Debian Buildbot master (20 builders) until the Builds table
// shows its rows. Compared in the same run with the floor the master sets: the browser loading the
// REST answer the page needs (/api/v2/builders) on its own. Plus the console's size, gzipped.
// Needs `npm run build`, Debian's buildbot and chromium (scripts/setup.sh).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePort, median } from '../lib.mjs';

const RUNS = 15;


export default async function consolePaint({ root }) {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(path.join(tmpdir(), 'bbm-bench-console-'));
  const port = await freePort();
  const env = { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' };
  const master = path.join(dir, 'master');
  spawnSync('/usr/bin/buildbot', ['create-master', '-q', master], { env });
  writeFileSync(
    path.join(master, 'master.cfg'),
    `from buildbot.plugins import schedulers, steps, util, worker
c = BuildmasterConfig = {}
c['workers'] = [worker.Worker('w1', 'unused')]
c['protocols'] = {'pb': {'port': 'tcp:${await freePort()}:interface=127.0.0.1'}}
names = ['project-%02d' % i for i in range(20)]
f = util.BuildFactory([steps.ShellCommand(command=['true'])])
c['builders'] = [util.BuilderConfig(name=n, workernames=['w1'], factory=f) for n in names]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=names)]
c['buildbotURL'] = 'http://127.0.0.1:${port}/'
c['www'] = {'port': 'tcp:${port}:interface=127.0.0.1', 'plugins': {'bbm': {'environments': []}}}
c['db'] = {'db_url': 'sqlite:///state.sqlite'}
c['buildbotNetUsageData'] = None
`,
  );
  const tac = path.join(master, 'buildbot.tac');
  writeFileSync(tac, `import sys; sys.path.insert(0, ${JSON.stringify(path.join(root, 'buildbot', 'master', 'console'))})\n${readFileSync(tac, 'utf8')}`);
  const proc = spawn('/usr/bin/buildbot', ['start', '--nodaemon', master], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  const browser = await chromium.launch({ executablePath: process.env.BBM_TEST_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}api/v2/builders`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 600 || proc.exitCode !== null) throw new Error(`the master did not start (see ${master}/twistd.log)`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const paint = [];
    const fcp = [];
    const floor = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const context = await browser.newContext(); // cold: empty cache, no session
      const page = await context.newPage();
      // The moment the Builds table has its rows, measured inside the page from navigation start.
      await page.addInitScript(() => {
        new MutationObserver((_, obs) => {
          if (document.querySelector('table.builders tbody tr')) {
            globalThis.__painted = performance.now();
            obs.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(url);
      await page.waitForFunction(() => globalThis.__painted !== undefined);
      const t = await page.evaluate(() => [globalThis.__painted, performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN]);
      const rest = await context.newPage();
      await rest.goto(`${url}api/v2/builders`);
      const r = await rest.evaluate(() => performance.getEntriesByType('navigation')[0].responseEnd);
      await context.close();
      if (i === 0) continue; // the first run also warms the master's own caches
      paint.push(t[0]);
      fcp.push(t[1]);
      floor.push(r);
    }
    const sorted = (a) => [...a].sort((x, y) => x - y);
    let gz = 0;
    for (const f of ['index.html', 'console.css', 'console.js']) gz += gzipSync(readFileSync(path.join(root, 'buildbot', 'master', 'console', 'bbm_console', 'static', f)), { level: 9 }).length;
    return [
      { name: 'console: Builds table painted, cold cache (median)', value: median(sorted(paint)), unit: 'ms', note: `max ${Math.max(...paint).toFixed(0)} ms, ${RUNS} runs` },
      { name: 'console: first contentful paint, cold cache (median)', value: median(sorted(fcp)), unit: 'ms' },
      { name: 'baseline: /api/v2/builders alone in the browser (median)', value: median(sorted(floor)), unit: 'ms' },
      { name: 'console size, gzipped (html + css + js)', value: gz / 1024, unit: 'KiB', note: 'budget 150 KiB' },
    ];
  } finally {
    await browser.close();
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
