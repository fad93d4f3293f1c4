// Event → routing latency of `bbm haproxy --watch --run-haproxy` at 10 000 tasks (1000 apps × 10),
// the real CLI running Debian's HAProxy in master-worker mode, as in production. Marathon cannot run
// here, so the case serves a Marathon-shaped API itself on 127.0.0.1: GET /v2/apps?embed=apps.tasks
// (the apps with their tasks) and GET /v2/events (text/event-stream, Marathon's wire format:
// `event:`/`data:` lines, CRLF, a heartbeat every 10 s), with the shapes of mesosphere/marathon
// core/event/Events.scala. The tasks' host ports are a pool of real HTTP listeners on 127.0.0.1, each
// answering with its own port.
//
// Each change is made to the served state first, then its events are sent; the clock runs from
// writing the event to the moment HAProxy routes the change. "Routed" is read from HAProxy's runtime
// API for every change (`show servers state <backend>`, polled every ms: the task's address is a
// ready server, or no longer is), and for a sample by requests: a single-task HTTP app gets a new
// healthy task and its old one is killed; the clock stops at the first response from the new task.
// Changes: a task killed (TASK_KILLING), a new task turning healthy (health_status_changed_event after
// its TASK_RUNNING), a task turning unhealthy, and healthy again. Between changes the bridge is left
// to settle, so each number is one change on its own.
//
// Same run, same input: the bridge with --no-apply-events, which fetches all apps, renders and
// applies on every event (marathon-lb's way, minus its reload). Both with the default --debounce 300:
// additions wait for it only on the full-resync path.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, get as httpGet } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importDist, listen, median } from '../lib.mjs';

const APPS = 1000;
const TASKS = 10;
const POOL = 24;
const PROBES = 5; // single-task HTTP apps for the request sample
const CYCLES = Number(process.env.BBM_BENCH_LATENCY_CYCLES ?? 30); // 4 measured changes each
const BASELINE_CYCLES = Number(process.env.BBM_BENCH_LATENCY_BASELINE_CYCLES ?? 15);
const SAMPLES = Number(process.env.BBM_BENCH_LATENCY_SAMPLES ?? 10);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const p99 = (sorted) => sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)];
const iso = () => new Date().toISOString();
const hr = () => Number(process.hrtime.bigint()) / 1e6;

/** A run of `n` consecutive ports free on 127.0.0.1 (the service ports HAProxy will bind). */
async function freeRange(n) {
  for (let base = 22000; base + n < 32000; base += n + 100) {
    const held = [];
    let ok = true;
    for (let p = base; p <= base + n && ok; p++) {
      const s = createTcpServer();
      try {
        await listen(s, p);
        held.push(s);
      } catch {
        ok = false;
      }
    }
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    if (ok) return base;
  }
  throw new Error(`no ${n} consecutive free ports on 127.0.0.1 below 32000`);
}

let seq = 0;
function newTask(app, port) {
  seq++;
  const instance = `${app.id.slice(1).replace(/\//g, '_')}.instance-${String(seq).padStart(8, '0')}-0000-4000-8000-bench0000000`;
  return {
    id: `${instance}._app.1`, appId: app.id, host: '127.0.0.1', ipAddresses: [{ ipAddress: '127.0.0.1', protocol: 'IPv4' }], ports: [port], servicePorts: [app.container.portMappings[0].servicePort],
    slaveId: 'bench-agent-S1', state: 'TASK_RUNNING', stagedAt: iso(), startedAt: iso(), version: app.version, healthCheckResults: [],
  };
}
const instanceOf = (taskId) => taskId.replace(/\._app\.\d+$/, '');
const healthy = (t) => ({ alive: true, consecutiveFailures: 0, firstSuccess: iso(), lastFailure: null, lastSuccess: iso(), lastFailureCause: null, instanceId: instanceOf(t.id) });

function makeApps(basePort, pool) {
  const apps = [];
  for (let i = 0; i < APPS; i++) {
    const probe = i < PROBES;
    const app = {
      id: `/team-${Math.floor(i / 50)}/app-${i}`, instances: probe ? 1 : TASKS, cpus: 0.1, mem: 32, version: '2026-01-01T00:00:00.000Z',
      labels: { HAPROXY_GROUP: 'external', ...(probe || i % 4 === 0 ? { HAPROXY_0_MODE: 'http' } : {}) },
      networks: [{ mode: 'container/bridge' }],
      container: { type: 'DOCKER', docker: { image: 'bench/app:1' }, portMappings: [{ containerPort: 8080, hostPort: 0, servicePort: basePort + i, protocol: 'tcp' }] },
      healthChecks: [{ protocol: 'MESOS_TCP', portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 10, timeoutSeconds: 5, maxConsecutiveFailures: 3, delaySeconds: 15 }],
      tasks: [], deployments: [], tasksStaged: 0, tasksUnhealthy: 0,
    };
    for (let t = 0; t < app.instances; t++) {
      const task = newTask(app, pool[(i + t) % pool.length]);
      task.healthCheckResults = [healthy(task)];
      app.tasks.push(task);
    }
    apps.push(app);
  }
  return apps;
}

/** The Marathon-shaped API: apps with tasks, and the event stream. */
async function startMarathon(apps) {
  const streams = new Set();
  const counts = { apps: 0, unexpected: [] };
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET' && url.pathname === '/v2/apps') {
      if (!url.searchParams.getAll('embed').includes('apps.tasks')) counts.unexpected.push(req.url);
      counts.apps++;
      for (const a of apps) {
        a.tasksRunning = a.tasks.filter((t) => t.state === 'TASK_RUNNING').length;
        a.tasksHealthy = a.tasks.filter((t) => t.healthCheckResults.length > 0 && t.healthCheckResults.every((r) => r.alive)).length;
      }
      const body = JSON.stringify({ apps });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v2/events') {
      if (req.headers.accept !== 'text/event-stream') {
        res.writeHead(405, { 'content-type': 'application/json' }).end('{"message":"HTTP 405 Method Not Allowed"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'close' });
      const wanted = new Set(url.searchParams.getAll('event_type'));
      const s = { res, wanted };
      streams.add(s);
      res.write(`event: event_stream_attached\r\ndata: ${JSON.stringify({ remoteAddress: '127.0.0.1', eventType: 'event_stream_attached', timestamp: iso() })}\r\n\r\n`);
      const beat = setInterval(() => res.write('\r\n'), 10_000);
      req.on('close', () => (clearInterval(beat), streams.delete(s)));
      return;
    }
    counts.unexpected.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'application/json' }).end(`{"message":"not served by the bench: ${req.method} ${url.pathname}"}`);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    emit(eventType, payload) {
      const line = `event: ${eventType}\r\ndata: ${JSON.stringify({ ...payload, eventType, timestamp: iso() })}\r\n\r\n`;
      for (const s of streams) if (s.wanted.size === 0 || s.wanted.has(eventType)) s.res.write(line);
    },
    close: () => {
      for (const s of streams) s.res.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

const statusEvent = (t, taskStatus) => ({
  slaveId: t.slaveId, taskId: t.id, taskStatus, message: '', appId: t.appId, host: t.host, ipAddresses: t.ipAddresses, ports: t.ports, version: t.version,
});
const conditionOf = { TASK_RUNNING: 'Running', TASK_KILLING: 'Killing', TASK_KILLED: 'Killed' };
function sendStatus(m, t, taskStatus) {
  m.emit('status_update_event', statusEvent(t, taskStatus));
  m.emit('instance_changed_event', { instanceId: instanceOf(t.id), condition: conditionOf[taskStatus], runSpecId: t.appId, agentId: t.slaveId, host: t.host, runSpecVersion: t.version });
}
function sendHealth(m, t, alive) {
  m.emit('health_status_changed_event', { appId: t.appId, instanceId: instanceOf(t.id), version: t.version, alive });
  m.emit('instance_health_changed_event', { instanceId: instanceOf(t.id), runSpecId: t.appId, healthy: alive, runSpecVersion: t.version });
}

export default async function (ctx) {
  const imp = (p) => importDist(ctx, p);
  const { cliCommand } = await imp('haproxy/adapter.js');
  const { safeAppId } = await imp('marathon/app-id.js');
  const dir = await mkdtemp(path.join(tmpdir(), 'bbm-bench-latency-'));
  const listeners = [];
  const rows = [];
  try {
    const pool = [];
    for (let i = 0; i < POOL; i++) {
      const s = createHttpServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(String(s.address().port)));
      s.keepAliveTimeout = 1000;
      pool.push(await listen(s));
      listeners.push(s);
    }
    const basePort = await freeRange(APPS + 1);
    const httpPort = basePort + APPS;
    const results = {};
    for (const mode of ['events', 'full']) {
      results[mode] = await runMode(mode, { dir, pool, basePort, httpPort, cliCommand, safeAppId, cli: ctx.cli, cycles: mode === 'events' ? CYCLES : BASELINE_CYCLES });
    }
    const e = results.events;
    const f = results.full;
    const kinds = (r) => Object.entries(r.byKind).map(([k, v]) => `${k} ${median(v.sort((a, b) => a - b)).toFixed(1)}`).join(', ');
    rows.push({ name: 'bbm: event → routed (runtime API), median', value: median(e.all), unit: 'ms', digits: 1, note: `${e.all.length} changes at ${APPS * TASKS} tasks; medians: ${kinds(e)}; /v2/apps fetched ${e.fetches}×` });
    rows.push({ name: 'bbm: event → routed (runtime API), p99', value: p99(e.all), unit: 'ms', digits: 1, note: `max ${e.all.at(-1).toFixed(1)} ms` });
    rows.push({ name: 'baseline full resync per event: event → routed, median', value: median(f.all), unit: 'ms', baseline: true, note: `--no-apply-events, same run; ${f.all.length} changes; medians: ${kinds(f)}; /v2/apps fetched ${f.fetches}×` });
    rows.push({ name: 'baseline full resync per event: event → routed, p99', value: p99(f.all), unit: 'ms', baseline: true, note: `max ${f.all.at(-1).toFixed(1)} ms` });
    const missedNote = (r) => (r.missed.length ? `; ${r.missed.length} never reached it within 20 s: ${r.missed.slice(0, 2).join('; ')}` : '');
    if (e.sample.length) rows.push({ name: 'bbm: healthy event → first request to the new task, median', value: median(e.sample), unit: 'ms', note: `${e.sample.length} samples, HTTP through HAProxy, old task killed at once${missedNote(e)}` });
    if (f.sample.length) rows.push({ name: 'baseline full resync: healthy event → first request, median', value: median(f.sample), unit: 'ms', baseline: true, note: `${f.sample.length} samples${missedNote(f)}` });
    for (const [r, who] of [[e, 'bbm'], [f, 'baseline']]) if (r.missed.length && !r.sample.length) rows.push({ name: `${who}: healthy event → first request to the new task`, value: 'FAILED', note: missedNote(r).slice(2) });
    rows.push({ name: 'full resync / events applied (median latency)', value: median(f.all) / median(e.all), unit: '×', digits: 1, note: 'same run, same input, same HAProxy' });
    const removals = (r) => [...r.byKind.killing, ...r.byKind.unhealthy].sort((a, b) => a - b);
    rows.push({ name: 'removals only (no debounce on either path): ratio of medians', value: median(removals(f)) / median(removals(e)), unit: '×', digits: 1, note: `bbm ${median(removals(e)).toFixed(1)} ms, baseline ${median(removals(f)).toFixed(1)} ms` });
  } finally {
    await Promise.all(listeners.map((s) => new Promise((r) => (s.closeAllConnections?.(), s.close(r)))));
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

async function runMode(mode, o) {
  const pool = o.pool;
  const apps = makeApps(o.basePort, pool);
  const m = await startMarathon(apps);
  const out = path.join(o.dir, `${mode}.cfg`);
  const socket = `${out}.sock`;
  const args = [o.cli, 'haproxy', '--marathon', m.url, '--out', out, '--watch', '--run-haproxy', '--bind', '127.0.0.1', '--http-port', String(o.httpPort), '--group', 'external', '--health-port', '0'];
  if (mode === 'full') args.push('--no-apply-events');
  const bridge = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  bridge.stderr.setEncoding('utf8').on('data', (s) => (log = (log + s).slice(-20_000)));
  const fail = (what) => new Error(`${mode}: ${what}; bridge log:\n${log.slice(-2000)}`);
  const byKind = { killing: [], healthy: [], unhealthy: [], 'healthy again': [] };
  const backendOf = (app) => `bbm_${o.safeAppId(app.id)}_${app.container.portMappings[0].servicePort}`;
  const sample = [];
  const missed = [];
  try {
    const deadline = Date.now() + 180_000;
    let healthUrl;
    while (!(healthUrl = /health: (http:\S+)/.exec(log)?.[1])) {
      if (bridge.exitCode !== null || Date.now() > deadline) throw fail('no health line');
      await sleep(100);
    }
    // Ready: connected, the start and (re)connect syncs done, HAProxy serving every task.
    for (;;) {
      const h = await (await fetch(healthUrl)).json().catch(() => ({}));
      const state = await servers(apps[APPS - 1]).catch(() => []);
      if (h.connected && h.syncs >= 2 && state.filter((s) => s.ready).length === TASKS) break;
      if (bridge.exitCode !== null || Date.now() > deadline) throw fail('HAProxy never served all tasks');
      await sleep(200);
    }
    await sleep(1500);
    async function servers(app) {
      const text = await o.cliCommand(socket, `show servers state ${backendOf(app)}`);
      return text.split('\n').filter((l) => /^\d+ /.test(l)).map((l) => l.split(' ')).map((f) => ({ addr: `${f[4]}:${f[18]}`, ready: f[5] === '2' && (Number(f[6]) & 1) === 0 }));
    }
    /** Polls HAProxy's runtime state every ms until `t`'s address is (or is no longer) a ready server. */
    async function routed(app, t, wanted) {
      const key = `${t.host}:${t.ports[0]}`;
      const end = Date.now() + 60_000;
      for (;;) {
        const s = await servers(app);
        if (s.some((x) => x.addr === key && x.ready) === wanted) return hr();
        if (Date.now() > end) throw fail(`${key} of ${app.id} never became ${wanted ? 'routed' : 'unrouted'}`);
        await sleep(1);
      }
    }
    let lastMs = 100;
    const settle = () => sleep(mode === 'events' ? 150 : Math.max(1_000, 2 * lastMs));
    async function measure(kind, app, t, wanted, send) {
      const t0 = hr();
      send();
      const ms = (await routed(app, t, wanted)) - t0;
      byKind[kind].push(ms);
      lastMs = Math.max(ms, mode === 'events' ? 0 : lastMs * 0.5);
      await settle();
    }
    const freePort = (app) => pool.find((p) => !app.tasks.some((t) => t.ports[0] === p));

    const fetchesBefore = m.counts.apps;
    for (let c = 0; c < o.cycles; c++) {
      const app = apps[PROBES + ((c * 37) % (APPS - PROBES))];
      // 1. A task is being killed.
      const victim = app.tasks[0];
      victim.state = 'TASK_KILLING';
      await measure('killing', app, victim, false, () => sendStatus(m, victim, 'TASK_KILLING'));
      app.tasks = app.tasks.filter((t) => t !== victim);
      sendStatus(m, victim, 'TASK_KILLED');
      await settle();
      // 2. Its replacement runs, then turns healthy.
      const fresh = newTask(app, freePort(app));
      app.tasks.push(fresh);
      sendStatus(m, fresh, 'TASK_RUNNING');
      await settle();
      fresh.healthCheckResults = [healthy(fresh)];
      await measure('healthy', app, fresh, true, () => sendHealth(m, fresh, true));
      // 3. Another task turns unhealthy, 4. and healthy again.
      const sick = app.tasks[1];
      sick.healthCheckResults = [{ ...healthy(sick), alive: false, consecutiveFailures: 1, lastFailure: iso() }];
      await measure('unhealthy', app, sick, false, () => sendHealth(m, sick, false));
      sick.healthCheckResults = [healthy(sick)];
      await measure('healthy again', app, sick, true, () => sendHealth(m, sick, true));
    }
    const fetches = m.counts.apps - fetchesBefore;

    // The request sample: a single-task HTTP app gets a new healthy task, the old one is killed.
    for (let i = 0; i < SAMPLES; i++) {
      const app = apps[i % PROBES];
      const old = app.tasks[0];
      const fresh = newTask(app, freePort(app));
      app.tasks.push(fresh);
      sendStatus(m, fresh, 'TASK_RUNNING');
      await settle();
      fresh.healthCheckResults = [healthy(fresh)];
      old.state = 'TASK_KILLING';
      const t0 = hr();
      sendHealth(m, fresh, true);
      sendStatus(m, old, 'TASK_KILLING');
      const end = Date.now() + 20_000;
      const answers = new Map();
      for (;;) {
        const body = await new Promise((resolve) => {
          const req = httpGet({ host: '127.0.0.1', port: app.container.portMappings[0].servicePort, path: '/', agent: false }, (res) => {
            let b = '';
            res.setEncoding('utf8').on('data', (d) => (b += d)).on('end', () => resolve(b));
          });
          req.setTimeout(2_000, () => req.destroy());
          req.on('error', () => resolve(''));
        });
        if (body === String(fresh.ports[0])) {
          sample.push(hr() - t0);
          break;
        }
        const what = body === String(old.ports[0]) ? 'the old task' : /^\d+$/.test(body) ? `port ${body}` : body === '' ? 'no answer' : 'an HAProxy error';
        answers.set(what, (answers.get(what) ?? 0) + 1);
        if (Date.now() > end) {
          // Said in the report, not hidden: the sample row counts it.
          missed.push(`${app.id}: ${[...answers].map(([k, n]) => `${n}× ${k}`).join(', ')}`);
          break;
        }
        await sleep(1);
      }
      app.tasks = app.tasks.filter((t) => t !== old);
      sendStatus(m, old, 'TASK_KILLED');
      await settle();
    }
    if (m.counts.unexpected.length) throw fail(`requests the bench does not serve: ${m.counts.unexpected.slice(0, 3).join(', ')}`);
    const all = Object.values(byKind).flat().sort((a, b) => a - b);
    return { all, byKind, sample: sample.sort((a, b) => a - b), missed, fetches };
  } finally {
    if (bridge.exitCode === null) {
      const exited = new Promise((r) => bridge.once('exit', r));
      bridge.kill('SIGTERM');
      const t = setTimeout(() => bridge.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    await m.close();
  }
}
