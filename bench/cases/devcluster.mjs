// bbm devcluster: start-up, API latency and task launch, each beside a same-run baseline; then the
// engine at scale (200 tasks of busybox httpd with HTTP health checks, see atScale below).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  return median(await latencies(url, n));
}

export default async function devcluster(ctx) {
  const rows = [];
  if (process.env.BBM_BENCH_DC_ONLY_SCALE !== '1') rows.push(...(await basics(ctx)));
  if (Number(process.env.BBM_BENCH_DC_TASKS ?? 200) > 0) rows.push(...(await atScale(ctx)));
  return rows;
}

async function basics(ctx) {
  const rows = [];
  const name = `${process.env.BBM_BENCH_NAME ?? `bench-${process.pid}`}-basics`;
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
        await api(dc.url, 'PUT', `/v2/apps/bench/app-${i}`, { cmd: 'sleep 1', instances: 0 });
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
        await api(dc.url, 'PUT', `/v2/apps/bench/run-${i}`, { cmd: 'sleep 1000', cpus: 0.05, mem: 16, container: { type: 'DOCKER', docker: { image: IMAGE } } });
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

/* ------------------------------------------------------------------ at scale */

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const p99 = (sorted) => sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)];

/** JSON request with the content type the engine requires of bodies. */
async function api(url, method, p, body) {
  const init = { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) };
  let r;
  for (let attempt = 1; ; attempt++) {
    try {
      r = await fetch(`${url}${p}`, init);
      break;
    } catch (e) {
      // a reused keep-alive connection the server closed: try again on a new one (a GET, or a PUT that never arrived)
      if (attempt === 3) throw new Error(`${method} ${p}: ${e.message} (${e.cause?.code ?? ''} ${e.cause?.message ?? ''})`);
      await sleep(500);
    }
  }
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Sorted latencies (ms) of n sequential GETs of one URL (keep-alive, as bbm's client). */
async function latencies(url, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await fetch(url);
    await r.arrayBuffer();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

let clockTicks;
/** CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat. */
function cpuMs(pid) {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks; // fields 14 utime, 15 stime
}

/** The CLI as its own process (its CPU is then its own); extra node flags from BBM_BENCH_DC_NODE_ARGS (e.g. --cpu-prof). */
function startEngine(ctx, name, state) {
  const nodeArgs = (process.env.BBM_BENCH_DC_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const p = spawn(
    process.execPath,
    [...nodeArgs, process.env.BBM_BENCH_DC_CLI ?? ctx.cli, 'devcluster', '--port', '0', '--state-dir', state, '--name', name, '--pull', 'never', '--host-port-range', '40000-41999'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  p.stderr.setEncoding('utf8').on('data', (d) => (err = (err + d).slice(-20000)));
  p.once('exit', (code, signal) => (err += `\n[bbm devcluster exited: code ${code}, signal ${signal}]`));
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /devcluster listening on (\S+)/.exec(out);
      if (m) resolve({ p, url: m[1], log: () => err });
    });
    p.once('exit', (code) => reject(new Error(`bbm devcluster exited (${code}) before it was ready: ${err}`)));
  });
}

async function stopEngine(engine) {
  if (!engine || engine.p.exitCode !== null || engine.p.signalCode !== null) return;
  const exited = new Promise((r) => engine.p.once('exit', r));
  engine.p.kill('SIGTERM');
  if ((await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])) === false) engine.p.kill('SIGKILL');
  await exited;
}

/** Removes every container labelled for this run (the engine's tasks and the Docker baseline's). */
function removeContainers(name) {
  for (const label of [`bbm.devcluster.name=${name}`, `bbm.bench=${name}`]) {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=${label}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (let i = 0; i < ids.length; i += 50) execFileSync('docker', ['rm', '-f', ...ids.slice(i, i + 50)], { stdio: 'ignore' });
  }
  try {
    execFileSync('docker', ['volume', 'rm', '-f', `bbm-devcluster-${name}`], { stdio: 'ignore' });
  } catch {
    /* none left */
  }
}

const HTTPD = 'mkdir -p /tmp/w && echo ok > /tmp/w/index.html && exec httpd -f -p 127.0.0.1:$PORT0 -h /tmp/w';
const CHECK_INTERVAL_S = 1;
const FIRST_PROBE_MS = 300; // src/devcluster/task-record.ts firstProbeAt: Marathon-level checks start 0.3 s after the task
const UPGRADE = { minimumHealthCapacity: 1, maximumOverCapacity: 0.2 };

function httpdApp(instances, env = {}) {
  return {
    cmd: HTTPD,
    instances,
    cpus: 0.05,
    mem: 16,
    env,
    container: { type: 'DOCKER', docker: { image: IMAGE } },
    portDefinitions: [{ port: 0, name: 'http' }],
    healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0, intervalSeconds: CHECK_INTERVAL_S, timeoutSeconds: 1, gracePeriodSeconds: 120, maxConsecutiveFailures: 0 }],
    upgradeStrategy: UPGRADE,
  };
}

async function waitHealthy(url, id, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { app } = await api(url, 'GET', `/v2/apps${id}`);
    if (app.tasksHealthy === n && app.tasksRunning === n && app.deployments.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${id}: ${app.tasksHealthy}/${n} healthy after ${timeoutMs} ms`);
    await sleep(1000);
  }
}

/** Resolves with the time (ms, hrtime) the event stream reports deployment_success for `id`. */
function watchDeployments(url) {
  const ac = new AbortController();
  const done = new Map();
  const waiters = new Map();
  const ready = fetch(`${url}/v2/events?event_type=deployment_success`, { headers: { accept: 'text/event-stream' }, signal: ac.signal }).then((r) => {
    const dec = new TextDecoder();
    let buf = '';
    (async () => {
      try {
        for await (const chunk of r.body) {
          buf += dec.decode(chunk, { stream: true });
          let i;
          while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 4);
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (!data) continue;
            const e = JSON.parse(data);
            const at = process.hrtime.bigint();
            done.set(e.id, at);
            waiters.get(e.id)?.(at);
          }
        }
      } catch {
        /* aborted */
      }
    })();
  });
  return {
    ready,
    finished: (id) => (done.has(id) ? Promise.resolve(done.get(id)) : new Promise((r) => waiters.set(id, r))),
    close: () => ac.abort(),
  };
}

/**
 * Docker alone doing the container work of a rolling upgrade with waves of `wave` tasks: each wave
 * starts `wave` containers at once (as the engine creates them: same image, command, host network,
 * limits, init) while the previous wave's containers are removed. Returns ms until the last started.
 */
async function dockerWaves(name, total, wave) {
  const { default: Docker } = await import('dockerode');
  const docker = new Docker();
  const t0 = process.hrtime.bigint();
  let removing = Promise.resolve();
  let port = 42000;
  for (let started = 0; started < total; started += wave) {
    const ids = await Promise.all(
      Array.from({ length: Math.min(wave, total - started) }, async () => {
        const c = await docker.createContainer({
          Image: IMAGE,
          Entrypoint: ['/bin/sh', '-c'],
          Cmd: [HTTPD],
          Env: [`PORT0=${port++}`],
          Labels: { 'bbm.bench': name },
          HostConfig: { NetworkMode: 'host', Init: true, NanoCpus: 5e7, Memory: 16 * 1024 * 1024 },
        });
        await c.start();
        await c.inspect();
        return c;
      }),
    );
    await removing;
    removing = Promise.all(ids.map((c) => c.remove({ force: true })));
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await removing;
  return ms;
}

/**
 * The engine with 200 tasks (BBM_BENCH_DC_TASKS): busybox httpd containers with HTTP health checks
 * every second, in two apps (/bench/web and the 50-instance /bench/roll). Measures, in one run:
 * GET /v2/apps?embed=apps.tasks at 1 task and at 200 (beside a bare server sending the same body),
 * the engine's CPU per task per health-check interval (200 tasks vs none), and a rolling upgrade
 * of /bench/roll beyond the health-check waits its upgradeStrategy imposes.
 */
async function atScale(ctx) {
  const rows = [];
  const total = Number(process.env.BBM_BENCH_DC_TASKS ?? 200);
  const rollN = Math.min(50, Math.floor(total / 4));
  const webN = total - rollN;
  const name = process.env.BBM_BENCH_NAME ?? `bench-dc-${process.pid}`;
  const state = await mkdtemp(path.join(os.tmpdir(), `bbm-dc-bench-${name}-`));
  const cpuWindowMs = Number(process.env.BBM_BENCH_DC_CPU_WINDOW_MS ?? 20_000);
  let engine;
  let events;
  const onSignal = () => {
    engine?.p.kill('SIGKILL');
    removeContainers(name);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    engine = await startEngine(ctx, name, state);
    const url = engine.url;
    const apps = `${url}/v2/apps?embed=apps.tasks`;
    await sleep(2000);

    // CPU with no tasks: the reconcile loop alone
    let c0 = cpuMs(engine.p.pid);
    await sleep(cpuWindowMs);
    const idleCpuPerS = ((cpuMs(engine.p.pid) - c0) / cpuWindowMs) * 1000;

    // 1 task
    await api(url, 'PUT', '/v2/apps/bench/roll', httpdApp(1));
    await waitHealthy(url, '/bench/roll', 1, 120_000);
    const one = await latencies(apps, 300);

    // up to `total` tasks, 50 containers at a time
    await api(url, 'PUT', '/v2/apps/bench/roll', { instances: rollN });
    await waitHealthy(url, '/bench/roll', rollN, 600_000);
    for (let n = Math.min(50, webN); ; n = Math.min(n + 50, webN)) {
      await api(url, 'PUT', '/v2/apps/bench/web', httpdApp(n));
      await waitHealthy(url, '/bench/web', n, 600_000);
      if (n === webN) break;
    }
    await sleep(3000);
    const load = os.loadavg()[0];
    c0 = cpuMs(engine.p.pid);
    await sleep(cpuWindowMs);
    const fullCpuPerS = ((cpuMs(engine.p.pid) - c0) / cpuWindowMs) * 1000;
    const many = await latencies(apps, 200);
    const body = Buffer.from(await (await fetch(apps)).arrayBuffer());
    const bare = http.createServer((_q, s) => s.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body)).listen(0, '127.0.0.1');
    await new Promise((r) => bare.once('listening', r));
    const bareTimes = await latencies(`http://127.0.0.1:${bare.address().port}/`, 200);
    bare.close();

    rows.push({ name: `GET /v2/apps?embed=apps.tasks, 1 task: median (of 300)`, value: median(one), unit: 'ms', digits: 2 });
    rows.push({ name: `GET /v2/apps?embed=apps.tasks, 1 task: p99`, value: p99(one), unit: 'ms', digits: 2 });
    rows.push({ name: `GET /v2/apps?embed=apps.tasks, ${total} tasks: median (of 200)`, value: median(many), unit: 'ms', digits: 2 });
    rows.push({ name: `GET /v2/apps?embed=apps.tasks, ${total} tasks: p99`, value: p99(many), unit: 'ms', digits: 2 });
    rows.push({ name: `baseline: bare node server sending that ${Math.round(body.length / 1024)} KiB body: median`, value: median(bareTimes), unit: 'ms', digits: 2 });
    rows.push({ name: `baseline: bare node server, same body: p99`, value: p99(bareTimes), unit: 'ms', digits: 2 });
    rows.push({ name: `${total} tasks / 1 task, median latency`, value: median(many) / median(one), unit: '×', digits: 1 });
    rows.push({ name: 'engine CPU, no tasks (reconcile loop alone)', value: idleCpuPerS, unit: 'ms CPU/s', digits: 1 });
    rows.push({ name: `engine CPU, ${total} tasks with HTTP checks every ${CHECK_INTERVAL_S} s`, value: fullCpuPerS, unit: 'ms CPU/s', digits: 1, note: `load average ${load.toFixed(1)}` });
    rows.push({
      name: 'health-check CPU per task per check interval',
      value: (((fullCpuPerS - idleCpuPerS) / total) * CHECK_INTERVAL_S * 1000),
      unit: 'µs CPU',
      digits: 0,
      note: `(CPU/s at ${total} tasks − CPU/s at 0) × interval / ${total}`,
    });

    // rolling upgrade of /bench/roll: a config change (env), waves of maxCapacity − minHealthy
    const minHealthy = Math.ceil(rollN * UPGRADE.minimumHealthCapacity);
    let maxCapacity = Math.floor(rollN * (1 + UPGRADE.maximumOverCapacity));
    if (maxCapacity === minHealthy) maxCapacity += 1;
    const wave = maxCapacity - minHealthy;
    const waves = Math.ceil(rollN / wave);
    events = watchDeployments(url);
    await events.ready;
    const t0 = process.hrtime.bigint();
    const { deploymentId } = await api(url, 'PUT', '/v2/apps/bench/roll', { env: { ROUND: '2' } });
    const upgradeMs = Number((await events.finished(deploymentId)) - t0) / 1e6;
    const floorMs = waves * FIRST_PROBE_MS;
    await waitHealthy(url, '/bench/roll', rollN, 120_000);
    const dockerMs = await dockerWaves(name, rollN, wave);
    rows.push({ name: `rolling upgrade of ${rollN} instances (${waves} waves of ${wave}), PUT → deployment_success`, value: upgradeMs / 1000, unit: 's', digits: 2 });
    rows.push({ name: `  of which health-check waits (${waves} × ${FIRST_PROBE_MS} ms to the first probe)`, value: floorMs / 1000, unit: 's', digits: 2 });
    rows.push({ name: '  beyond the health checks (total − waits)', value: (upgradeMs - floorMs) / 1000, unit: 's', digits: 2 });
    rows.push({ name: `baseline: Docker alone starting ${rollN} such containers in ${waves} waves of ${wave}`, value: dockerMs / 1000, unit: 's', digits: 2, baseline: true });
  } catch (e) {
    throw new Error(`${e.message}\n--- the engine's last stderr ---\n${engine?.log().slice(-4000) ?? ''}`, { cause: e });
  } finally {
    events?.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stopEngine(engine);
    removeContainers(name);
    await rm(state, { recursive: true, force: true });
  }
  return rows;
}
