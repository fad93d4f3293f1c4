// HAProxy configuration generation for 1000 apps × 3 tasks (bbm haproxy's build + render),
// beside marathon-lb's get_apps + config() on the same input when a marathon-lb checkout and its
// Debian Python packages are here (BBM_MARATHON_LB_DIR, /usr/bin/python3 with requests,
// python-dateutil, six, pycurl, jwt). Also `haproxy -c` on the result, and what applying a task
// change costs: a runtime API update versus a master-worker reload of the same 1000-app config.
//
// What each side's timed round holds: the apps already parsed from JSON (a fresh copy per round,
// made before the clock starts: structuredClone here, json.loads(json.dumps()) in the Python
// script) → the configuration text, in memory (bbm: buildServices + renderConfig, one flat
// string; marathon-lb: get_apps + config, one str). Neither includes fetching or parsing the
// /v2/apps body; parsing is timed on its own rows. Each side warms up first, rounds are timed as
// wall time and as the process's CPU time (what the other work on a shared machine does not
// inflate), and bbm's rounds are split before and after marathon-lb's so a change of load hits both.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importDist, median } from '../lib.mjs';

const APPS = 1000;
const TASKS = 3;
const BBM_WARMUP = 5;
const BBM_RUNS = 31;
const MLB_WARMUP = 3;
const MLB_RUNS = 15;

function makeApps(basePort) {
  const apps = [];
  for (let i = 0; i < APPS; i++) {
    const id = `/team-${Math.floor(i / 50)}/app-${i}`;
    const tasks = [];
    for (let t = 0; t < TASKS; t++) {
      const instance = `${id.slice(1).replace(/\//g, '_')}.instance-${String(i).padStart(4, '0')}-${t}`;
      tasks.push({
        id: `${instance}._app.1`, appId: id, host: `10.0.${(i * TASKS + t) % 250}.${1 + t}`, ports: [31000 + ((i * TASKS + t) % 1000)],
        servicePorts: [basePort + i], state: 'TASK_RUNNING', version: '2026-01-01T00:00:00.000Z', startedAt: '2026-01-01T00:00:01.000Z',
        healthCheckResults: [{ alive: true, consecutiveFailures: 0, firstSuccess: '2026-01-01T00:00:02.000Z', lastFailure: null, lastSuccess: '2026-01-01T00:00:03.000Z', instanceId: instance }],
      });
    }
    apps.push({
      id, instances: TASKS, version: '2026-01-01T00:00:00.000Z', labels: { HAPROXY_GROUP: 'external', ...(i % 4 === 0 ? { HAPROXY_0_MODE: 'http' } : {}) },
      networks: [{ mode: 'container/bridge' }],
      container: { type: 'DOCKER', docker: { image: 'x' }, portMappings: [{ containerPort: 8080, hostPort: 0, servicePort: basePort + i, protocol: 'tcp' }] },
      healthChecks: [{ protocol: 'MESOS_TCP', portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 10, timeoutSeconds: 5, maxConsecutiveFailures: 3 }],
      tasks, tasksRunning: TASKS, tasksHealthy: TASKS, tasksStaged: 0, tasksUnhealthy: 0, deployments: [],
    });
  }
  return apps;
}

/** Whether a TCP port can be bound on 127.0.0.1 right now. */
function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The first block of APPS consecutive service ports, from 21000 in steps of 1000 and below the
 * kernel's ephemeral range (32768), of which every port is free now: HAProxy refuses to start
 * when one of its 1000 frontends cannot bind (`cannot bind socket`, exit 1), and the machine is
 * shared with other work. Undefined when no block is free.
 */
async function freePortBlock() {
  for (let base = 21000; base + APPS <= 32768; base += 1000) {
    let free = true;
    for (let p = base; p < base + APPS && free; p++) free = await portFree(p);
    if (free) return base;
  }
  return undefined;
}

const cpuMs = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
const sorted = (xs) => [...xs].sort((a, b) => a - b);

export default async function (ctx) {
  const rows = [];
  const imp = (p) => importDist(ctx, p);
  const { buildServices } = await imp('haproxy/services.js');
  const { renderConfig } = await imp('haproxy/render.js');
  const dir = await mkdtemp(path.join(tmpdir(), 'bbm-bench-haproxy-'));
  try {
    const freeBase = await freePortBlock();
    const basePort = freeBase ?? 21000;
    const apps = makeApps(basePort);
    const body = JSON.stringify({ apps });
    const renderOpts = { statsSocket: path.join(dir, 'stats.sock'), httpPort: 20999, httpBind: '127.0.0.1' };
    const wall = [];
    const cpu = [];
    let rendered;
    const bbmRounds = (warmup, runs) => {
      for (let i = 0; i < warmup + runs; i++) {
        const copy = structuredClone(apps);
        const t0 = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        const { services } = buildServices(copy, { bind: '127.0.0.1', group: 'external', resolve: () => undefined, reservedPorts: [20999] });
        const r = renderConfig(services, renderOpts);
        const c = cpuMs(c0);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (i >= warmup) {
          wall.push(ms);
          cpu.push(c);
        }
        rendered = r;
      }
    };
    bbmRounds(BBM_WARMUP, Math.ceil(BBM_RUNS / 2));

    // Baseline: marathon-lb on the same input, when it can really run here.
    const mlb = process.env.BBM_MARATHON_LB_DIR;
    const why = !mlb ? 'BBM_MARATHON_LB_DIR is not set (a local marathon-lb checkout)'
      : !existsSync(path.join(mlb, 'marathon_lb.py')) ? `no marathon_lb.py in ${mlb}`
      : spawnSync('/usr/bin/python3', ['-c', 'import requests, dateutil, six, pycurl, jwt'], { encoding: 'utf8' }).status !== 0
        ? 'Debian python3 lacks requests/dateutil/six/pycurl/jwt (apt-get install python3-requests python3-dateutil python3-six python3-pycurl python3-jwt)'
        : undefined;
    let mlbOut;
    let mlbError;
    if (!why) {
      const appsFile = path.join(dir, 'apps.json');
      await writeFile(appsFile, body);
      const r = spawnSync('/usr/bin/python3', [path.join(ctx.root, 'bench', 'support', 'marathon-lb-config.py'), mlb, appsFile, String(MLB_RUNS), path.join(dir, 'mlb.cfg'), String(MLB_WARMUP)], { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) mlbError = r.stderr.slice(-300);
      else mlbOut = JSON.parse(r.stdout.trim().split('\n').pop());
    }

    bbmRounds(1, BBM_RUNS - Math.ceil(BBM_RUNS / 2));
    const bbmWall = median(sorted(wall));
    const bbmCpu = median(sorted(cpu));
    rows.push({ name: `bbm: build + render ${APPS} apps × ${TASKS} tasks`, value: bbmWall, unit: 'ms', note: `wall, median of ${wall.length} after ${BBM_WARMUP} warm-up; CPU median ${bbmCpu.toFixed(1)} ms; ${(rendered.text.length / 1024).toFixed(0)} KiB` });
    if (why) rows.push({ name: 'marathon-lb: get_apps + config, same input', value: 'n/a', note: why });
    else if (mlbError !== undefined) rows.push({ name: 'marathon-lb: get_apps + config, same input', value: 'FAILED', note: mlbError });
    else {
      const mlbWall = median(sorted(mlbOut.runs_ms));
      const mlbCpu = median(sorted(mlbOut.cpu_ms));
      rows.push({ name: 'marathon-lb: get_apps + config, same input', value: mlbWall, unit: 'ms', note: `wall, median of ${mlbOut.runs_ms.length} after ${MLB_WARMUP} warm-up; CPU median ${mlbCpu.toFixed(1)} ms; ${(mlbOut.bytes / 1024).toFixed(0)} KiB, Debian python3` });
      rows.push({ name: 'marathon-lb / bbm, wall time', value: mlbWall / bbmWall, unit: '×', note: 'medians, same run; goal ≥ 10×' });
      rows.push({ name: 'marathon-lb / bbm, CPU time', value: mlbCpu / bbmCpu, unit: '×', note: 'medians of the same rounds' });
    }

    // What the rounds above leave out, for the record: parsing the /v2/apps body (both sides
    // parse it once per sync) and the skeleton, which only `--watch` compares.
    const parse = [];
    for (let i = 0; i < 7; i++) {
      const t0 = process.hrtime.bigint();
      JSON.parse(body);
      parse.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    rows.push({ name: 'bbm: JSON.parse of the /v2/apps body (not above)', value: median(sorted(parse)), unit: 'ms', note: `median of 7, ${(body.length / 1024).toFixed(0)} KiB` });
    if (mlbOut) rows.push({ name: 'marathon-lb: json.loads of that body (not above)', value: median(sorted(mlbOut.parse_ms)), unit: 'ms', note: 'median of 5' });
    const skel = [];
    for (let i = 0; i < 7; i++) {
      const { services } = buildServices(structuredClone(apps), { bind: '127.0.0.1', group: 'external', resolve: () => undefined, reservedPorts: [20999] });
      const r = renderConfig(services, renderOpts);
      const t0 = process.hrtime.bigint();
      void r.skeleton.length;
      skel.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    rows.push({ name: 'bbm: skeleton for --watch (not above)', value: median(sorted(skel)), unit: 'ms', note: 'median of 7; made on first read' });

    const cfg = path.join(dir, 'bbm.cfg');
    await writeFile(cfg, rendered.text);
    const t0 = process.hrtime.bigint();
    const check = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
    const checkMs = Number(process.hrtime.bigint() - t0) / 1e6;
    rows.push(check.status === 0
      ? { name: 'haproxy -c on that config', value: checkMs, unit: 'ms', note: 'one run' }
      : { name: 'haproxy -c on that config', value: 'FAILED', note: check.stderr.slice(0, 200) });

    // What a task change costs on a running HAProxy with this config.
    const { ManagedHaproxy } = await imp('haproxy/managed.js');
    const { runtimeCommands } = await imp('haproxy/adapter.js');
    const said = [];
    const keep = { info() {}, warn: (m) => said.push(m), raw: (m) => said.push(m) };
    let managed;
    try {
      if (freeBase === undefined) throw new Error(`no block of ${APPS} free ports between 21000 and 32767 on 127.0.0.1`);
      managed = await ManagedHaproxy.start({ haproxyBin: 'haproxy', configFile: cfg, masterSocket: path.join(dir, 'master.sock'), reporter: keep, timeoutMs: 60_000 });
      const backend = `bbm_team-0_app-0_${basePort}`;
      const rt = [];
      for (let i = 0; i < 9; i++) {
        const s = process.hrtime.bigint();
        await runtimeCommands(renderOpts.statsSocket, [`set server ${backend}/s4 addr 10.9.9.${i + 1} port 31999`, `set server ${backend}/s4 state ready`, `set server ${backend}/s1 state maint`]);
        rt.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      rows.push({ name: 'apply a task change: runtime API (3 commands)', value: median(sorted(rt)), unit: 'ms', note: `median of 9; no new worker; service ports ${basePort}-${basePort + APPS - 1}` });
      const rl = [];
      for (let i = 0; i < 3; i++) {
        const s = process.hrtime.bigint();
        await managed.reload();
        rl.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      rows.push({ name: 'apply a task change: master-worker reload', value: median(sorted(rl)), unit: 'ms', note: 'median of 3; until the new worker runs' });
    } catch (error) {
      // HAProxy's own alerts say why (a port in use, the fd limit…): they go into the row.
      const alerts = said.filter((l) => /ALERT|exited/.test(l)).map((l) => l.replace(/^haproxy: /, '')).join(' | ');
      rows.push({ name: 'runtime API vs reload', value: 'n/a', note: `could not run HAProxy with ${APPS} frontends: ${String(error.message).slice(0, 160)}${alerts ? `: ${alerts.slice(0, 400)}` : ''}` });
    } finally {
      await managed?.stop(2_000);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
