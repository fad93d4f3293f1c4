// HAProxy configuration generation for 1000 apps × 3 tasks (bbm haproxy's build + render),
// beside marathon-lb's get_apps + config() on the same input when a marathon-lb checkout and its
// Debian Python packages are here (BBM_MARATHON_LB_DIR, /usr/bin/python3 with requests,
// python-dateutil, six, pycurl, jwt). Also `haproxy -c` on the result, and what applying a task
// change costs: a runtime API update versus a master-worker reload of the same 1000-app config.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../lib.mjs';

const APPS = 1000;
const TASKS = 3;

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

export default async function (ctx) {
  const rows = [];
  const imp = (p) => import(pathToFileURL(path.join(ctx.root, 'dist', p)).href);
  const { buildServices } = await imp('haproxy/services.js');
  const { renderConfig } = await imp('haproxy/render.js');
  const dir = await mkdtemp(path.join(tmpdir(), 'bbm-bench-haproxy-'));
  try {
    const basePort = 21000;
    const apps = makeApps(basePort);
    const renderOpts = { statsSocket: path.join(dir, 'stats.sock'), httpPort: 20999, httpBind: '127.0.0.1' };
    const generate = () => {
      const copy = structuredClone(apps);
      const t0 = process.hrtime.bigint();
      const { services } = buildServices(copy, { bind: '127.0.0.1', group: 'external', resolve: () => undefined, reservedPorts: [20999] });
      const r = renderConfig(services, renderOpts);
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6, r };
    };
    for (let i = 0; i < 3; i++) generate();
    const times = [];
    let rendered;
    for (let i = 0; i < 15; i++) {
      const g = generate();
      times.push(g.ms);
      rendered = g.r;
    }
    times.sort((a, b) => a - b);
    rows.push({ name: `bbm: build + render ${APPS} apps × ${TASKS} tasks`, value: median(times), unit: 'ms', note: `median of 15, ${(rendered.text.length / 1024).toFixed(0)} KiB` });

    const cfg = path.join(dir, 'bbm.cfg');
    await writeFile(cfg, rendered.text);
    const t0 = process.hrtime.bigint();
    const check = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
    const checkMs = Number(process.hrtime.bigint() - t0) / 1e6;
    rows.push(check.status === 0
      ? { name: 'haproxy -c on that config', value: checkMs, unit: 'ms', note: 'one run' }
      : { name: 'haproxy -c on that config', value: 'FAILED', note: check.stderr.slice(0, 200) });

    // Baseline: marathon-lb on the same input, when it can really run here.
    const mlb = process.env.BBM_MARATHON_LB_DIR;
    const why = !mlb ? 'BBM_MARATHON_LB_DIR is not set (a local marathon-lb checkout)'
      : !existsSync(path.join(mlb, 'marathon_lb.py')) ? `no marathon_lb.py in ${mlb}`
      : spawnSync('/usr/bin/python3', ['-c', 'import requests, dateutil, six, pycurl, jwt'], { encoding: 'utf8' }).status !== 0
        ? 'Debian python3 lacks requests/dateutil/six/pycurl/jwt (apt-get install python3-requests python3-dateutil python3-six python3-pycurl python3-jwt)'
        : undefined;
    if (why) {
      rows.push({ name: 'marathon-lb: get_apps + config, same input', value: 'n/a', note: why });
    } else {
      const appsFile = path.join(dir, 'apps.json');
      await writeFile(appsFile, JSON.stringify({ apps }));
      const r = spawnSync('/usr/bin/python3', [path.join(ctx.root, 'bench', 'support', 'marathon-lb-config.py'), mlb, appsFile, '7', path.join(dir, 'mlb.cfg')], { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) rows.push({ name: 'marathon-lb: get_apps + config, same input', value: 'FAILED', note: r.stderr.slice(-300) });
      else {
        const out = JSON.parse(r.stdout.trim().split('\n').pop());
        const sorted = out.runs_ms.sort((a, b) => a - b);
        rows.push({ name: 'marathon-lb: get_apps + config, same input', value: median(sorted), unit: 'ms', note: `median of ${sorted.length}, ${(out.bytes / 1024).toFixed(0)} KiB, Debian python3` });
      }
    }

    // What a task change costs on a running HAProxy with this config.
    const { ManagedHaproxy } = await imp('haproxy/managed.js');
    const { runtimeCommands } = await imp('haproxy/adapter.js');
    const quiet = { info() {}, warn() {}, raw() {} };
    let managed;
    try {
      managed = await ManagedHaproxy.start({ haproxyBin: 'haproxy', configFile: cfg, masterSocket: path.join(dir, 'master.sock'), reporter: quiet, timeoutMs: 60_000 });
      const backend = 'bbm_team-0_app-0_21000';
      const rt = [];
      for (let i = 0; i < 9; i++) {
        const s = process.hrtime.bigint();
        await runtimeCommands(renderOpts.statsSocket, [`set server ${backend}/s4 addr 10.9.9.${i + 1} port 31999`, `set server ${backend}/s4 state ready`, `set server ${backend}/s1 state maint`]);
        rt.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      rt.sort((a, b) => a - b);
      rows.push({ name: 'apply a task change: runtime API (3 commands)', value: median(rt), unit: 'ms', note: 'median of 9; no new worker' });
      const rl = [];
      for (let i = 0; i < 3; i++) {
        const s = process.hrtime.bigint();
        await managed.reload();
        rl.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      rl.sort((a, b) => a - b);
      rows.push({ name: 'apply a task change: master-worker reload', value: median(rl), unit: 'ms', note: 'median of 3; until the new worker runs' });
    } catch (error) {
      rows.push({ name: 'runtime API vs reload', value: 'n/a', note: `could not run HAProxy with ${APPS} frontends: ${String(error.message).slice(0, 160)}` });
    } finally {
      await managed?.stop(2_000);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
