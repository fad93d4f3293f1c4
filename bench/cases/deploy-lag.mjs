// How long `bbm deploy` takes to notice that a deployment is done: the lag between the engine
// emitting deployment_success (the event's own timestamp, same machine clock) and `bbm deploy`
// exiting, when it follows /v2/events (the default) and, in the same run against the same engine,
// when it polls /v2/deployments once a second (--follow poll, the baseline: what tools that poll do).
// Both include the same final health confirmation (one GET of the app when all is well) and the
// same process teardown; the "succeeded" rows stop at the line bbm prints before it exits.
// Uses a real `bbm devcluster` with one busybox httpd task; everything on 127.0.0.1.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { median, startDevcluster } from '../lib.mjs';

const IMAGE = process.env.BBM_TEST_BASE_IMAGE ?? 'bbm-test/busybox:latest';
const ROUNDS = Number(process.env.BBM_BENCH_DEPLOY_ROUNDS ?? 5);

/** Our own subscriber: records every deployment_success by id with the engine's timestamp. */
function watch(url) {
  const seen = new Map();
  const req = request(`${url}/v2/events?event_type=deployment_success`, { headers: { accept: 'text/event-stream' } }, (res) => {
    let buf = '';
    res.setEncoding('utf8').on('data', (c) => {
      buf += c;
      let i;
      while ((i = buf.indexOf('\r\n\r\n')) !== -1) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 4);
        const data = block.split('\r\n').find((l) => l.startsWith('data: '));
        if (data) {
          const e = JSON.parse(data.slice(6));
          seen.set(e.id, Date.parse(e.timestamp));
        }
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return { seen, close: () => req.destroy() };
}

function deployOnce(cli, url, app, build, follow) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, 'deploy', '--app', app, '--image', IMAGE, '--marathon', url, '--build-number', String(build), '--timeout', '120', '--follow', follow], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    let noticedAt;
    createInterface({ input: p.stderr }).on('line', (l) => {
      err += `${l}\n`;
      if (/^deployment \S+ succeeded/.test(l)) noticedAt = Date.now();
    });
    p.stdout.resume();
    p.on('exit', (code) => {
      const exitedAt = Date.now();
      if (code !== 0) return reject(new Error(`bbm deploy exited ${code}: ${err}`));
      const id = /deployment ([0-9a-f-]{36}), version/.exec(err)?.[1];
      resolve({ id, exitedAt, noticedAt });
    });
  });
}

export default async function ({ cli }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bbm-bench-deploy-'));
  const name = `bench-${process.pid}`;
  const app = path.join(dir, 'app.json');
  writeFileSync(
    app,
    JSON.stringify({
      id: '/bench/lag',
      cmd: 'mkdir -p /www && echo "build ${buildNumber}" > /www/index.html && exec httpd -f -p 8080 -h /www',
      instances: 1,
      cpus: 0.1,
      mem: 32,
      networks: [{ mode: 'container/bridge' }],
      container: { type: 'DOCKER', docker: { image: '${image}' }, portMappings: [{ containerPort: 8080, hostPort: 0 }] },
      // delaySeconds: Mesos-level checks wait it (default 15) before the first probe; the lag is measured after
      healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 2, delaySeconds: 1 }],
    }),
  );
  const dc = await startDevcluster(cli, path.join(dir, 'state'), name);
  const w = watch(dc.url);
  const lags = { events: [], poll: [] };
  const noticed = { events: [], poll: [] };
  try {
    let build = 0;
    await deployOnce(cli, dc.url, app, ++build, 'auto'); // create the app: not measured
    for (let i = 0; i < ROUNDS; i++) {
      for (const follow of i % 2 ? ['poll', 'auto'] : ['auto', 'poll']) {
        const r = await deployOnce(cli, dc.url, app, ++build, follow);
        const emitted = w.seen.get(r.id);
        if (emitted === undefined) throw new Error(`no deployment_success seen for ${r.id}`);
        lags[follow === 'auto' ? 'events' : 'poll'].push(r.exitedAt - emitted);
        noticed[follow === 'auto' ? 'events' : 'poll'].push(r.noticedAt - emitted);
      }
    }
  } finally {
    w.close();
    dc.proc.kill('SIGTERM');
    await new Promise((r) => dc.proc.once('exit', r));
    try {
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=bbm.devcluster.name=${name}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    } catch {
      // best effort: the engine may already be gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const sort = (a) => [...a].sort((x, y) => x - y);
  const ev = sort(lags.events);
  const po = sort(lags.poll);
  const ne = sort(noticed.events);
  const np = sort(noticed.poll);
  return [
    { name: 'deploy lag: deployment_success → "succeeded" line, events', value: median(ne), unit: 'ms', note: `min ${ne[0]} max ${ne.at(-1)}; includes the health confirmation GET` },
    { name: 'deploy lag: same, polling every 1 s (baseline)', value: median(np), unit: 'ms', note: `min ${np[0]} max ${np.at(-1)}` },
    { name: 'deploy lag: deployment_success → exit, following /v2/events', value: median(ev), unit: 'ms', note: `median of ${ev.length}, min ${ev[0]} max ${ev.at(-1)}` },
    { name: 'deploy lag: same, polling /v2/deployments every 1 s (baseline)', value: median(po), unit: 'ms', note: `median of ${po.length}, min ${po[0]} max ${po.at(-1)}` },
  ];
}
