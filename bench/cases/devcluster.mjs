// bbm devcluster: start-up, API latency and task launch, each beside a same-run baseline.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../lib.mjs';

const IMAGE = process.env.BBM_TEST_BASE_IMAGE ?? 'bbm-test/busybox:latest';

function timeToLine(args, pattern) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (pattern.test(out)) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        p.kill('SIGTERM');
        p.once('exit', () => resolve(ms));
      }
    });
    p.once('error', reject);
  });
}

async function latency(url, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await fetch(url);
    await r.arrayBuffer();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times.sort((a, b) => a - b));
}

export default async function devcluster(ctx) {
  const rows = [];
  const name = `bench-${process.pid}`;
  const state = await mkdtemp(path.join(os.tmpdir(), 'bbm-dc-bench-'));
  try {
    // 1. start-up to the ready line vs a bare node HTTP server printing a line
    const starts = [];
    const bases = [];
    for (let i = 0; i < 5; i++) {
      starts.push(await timeToLine([ctx.cli, 'devcluster', '--port', '0', '--state-dir', state, '--name', name], /devcluster listening on/));
      bases.push(await timeToLine(['-e', "require('http').createServer().listen(0,()=>console.log('up'))"], /up/));
    }
    rows.push({ name: 'start-up to "devcluster listening" (median of 5)', value: median(starts.sort((a, b) => a - b)), unit: 'ms' });
    rows.push({ name: 'baseline: bare node http server to first line', value: median(bases.sort((a, b) => a - b)), unit: 'ms' });

    // 2. GET /v2/apps with 20 apps (no tasks) vs a bare server answering {}
    const { startDevcluster } = await import(pathToFileURL(path.join(ctx.root, 'dist/devcluster/index.js')).href);
    const dc = await startDevcluster({ port: 0, stateDir: state, name, pull: 'never' });
    try {
      for (let i = 0; i < 20; i++)
        await fetch(`${dc.url}/v2/apps/bench/app-${i}`, { method: 'PUT', body: JSON.stringify({ cmd: 'sleep 1', instances: 0 }) });
      const bare = http.createServer((_q, s) => s.end('{}')).listen(0, '127.0.0.1');
      await new Promise((r) => bare.once('listening', r));
      rows.push({ name: 'GET /v2/apps, 20 apps (median of 200)', value: await latency(`${dc.url}/v2/apps`, 200), unit: 'ms', digits: 2 });
      rows.push({ name: 'baseline: bare node http server, GET {}', value: await latency(`http://127.0.0.1:${bare.address().port}/`, 200), unit: 'ms', digits: 2 });
      bare.close();

      // 3. PUT an app of 1 instance → its task running, vs `docker run -d` of the same image
      const launches = [];
      const dockerRuns = [];
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        await fetch(`${dc.url}/v2/apps/bench/run-${i}`, { method: 'PUT', body: JSON.stringify({ cmd: 'sleep 1000', cpus: 0.05, mem: 16, container: { type: 'DOCKER', docker: { image: IMAGE } } }) });
        for (;;) {
          const r = await (await fetch(`${dc.url}/v2/apps/bench/run-${i}/tasks`)).json();
          if (r.tasks.some((t) => t.state === 'TASK_RUNNING')) break;
          await new Promise((res) => setTimeout(res, 20));
        }
        launches.push(Date.now() - t0);
        const t1 = Date.now();
        const id = execFileSync('docker', ['run', '-d', '--label', `bbm.devcluster.name=${name}`, IMAGE, 'sleep', '1000'], { encoding: 'utf8' }).trim();
        dockerRuns.push(Date.now() - t1);
        execFileSync('docker', ['rm', '-f', id]);
      }
      rows.push({ name: 'PUT app (1 instance) → task TASK_RUNNING (median of 3)', value: median(launches.sort((a, b) => a - b)), unit: 'ms' });
      rows.push({ name: 'baseline: `docker run -d` of the same image', value: median(dockerRuns.sort((a, b) => a - b)), unit: 'ms' });
    } finally {
      await dc.close();
    }
  } finally {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=bbm.devcluster.name=${name}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) execFileSync('docker', ['rm', '-f', ...ids]);
    await rm(state, { recursive: true, force: true });
  }
  return rows;
}
