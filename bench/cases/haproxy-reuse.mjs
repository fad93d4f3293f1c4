// What reusing server connections (bbm's HTTP backends, whose re-addressed slots are chosen so that
// no busy connection can reach an old task) gains against closing them after each response
// (`option http-server-close`, the other way to keep a re-addressed slot from reaching its old
// task), in the same run: two Debian HAProxy processes on 127.0.0.1, one on the configuration
// `bbm haproxy` renders and one on the same text with that option added to the HTTP backend, both
// in front of the same two HTTP listeners that answer at once. Rounds alternate between the two,
// so load on the shared machine falls on both alike. Clients: keep-alive loops (the case reuse helps) and loops with a new
// connection per request (where HAProxy's default `http-reuse safe` never reuses a server
// connection anyway). Rows: requests per second, latency, and server connections opened per 100
// requests. Loopback makes a TCP connect cheaper than across a network: on a real network each
// new server connection also costs one round trip.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, importDist, listen, median } from '../lib.mjs';

const ROUNDS = Number(process.env.BBM_BENCH_REUSE_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BBM_BENCH_REUSE_ROUND_MS ?? 3000);
const CONCURRENCY = 4;
const CLOSE_LINE = '  option http-server-close\n';
const MODE_LINE = '\n  mode http\n  balance roundrobin\n';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hr = () => Number(process.hrtime.bigint()) / 1e6;

/** Sequential requests on `CONCURRENCY` loops for `ms`: keep-alive agents or a new connection each. */
async function round(url, keepAlive, ms) {
  const latencies = [];
  let errors = 0;
  const end = Date.now() + ms;
  const loop = async () => {
    const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
    while (Date.now() < end) {
      const t0 = hr();
      const ok = await new Promise((resolve) => {
        const req = request(url, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        });
        req.on('error', () => resolve(false));
        req.end();
      });
      if (ok) latencies.push(hr() - t0);
      else errors++;
    }
    if (agent) agent.destroy();
  };
  const t0 = hr();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return { seconds: (hr() - t0) / 1000, latencies, errors };
}

export default async function (ctx) {
  const imp = (p) => importDist(ctx, p);
  const { renderConfig } = await imp('haproxy/render.js');
  const { buildServices } = await imp('haproxy/services.js');
  const dir = await mkdtemp(path.join(tmpdir(), 'bbm-bench-reuse-'));
  const listeners = [];
  const children = [];
  let serverConnections = 0;
  try {
    const ports = [];
    for (let i = 0; i < 2; i++) {
      const s = createServer((_req, res) => res.end(`task-${i}`));
      s.keepAliveTimeout = 60_000;
      s.on('connection', () => serverConnections++);
      ports.push(await listen(s));
      listeners.push(s);
    }
    const variants = {};
    for (const name of ['bbm', 'closed']) {
      const servicePort = await freePort();
      const statsSocket = path.join(dir, `${name}.sock`);
      const app = {
        id: `/bench/reuse-${name}`,
        instances: 2,
        labels: { HAPROXY_0_MODE: 'http' },
        container: { type: 'DOCKER', docker: { image: 'x' }, portMappings: [{ containerPort: 80, hostPort: 0, servicePort, protocol: 'tcp' }] },
        tasks: ports.map((p, i) => ({ id: `bench_reuse.instance-${i}._app.1`, appId: `/bench/reuse-${name}`, host: '127.0.0.1', ports: [p], state: 'TASK_RUNNING' })),
      };
      const { services } = buildServices([app], { bind: '127.0.0.1', resolve: () => undefined, reservedPorts: [] });
      let text = renderConfig(services, { statsSocket, httpPort: 0, httpBind: '127.0.0.1' }).text;
      const backendAt = text.indexOf(`\nbackend `);
      if (text.includes(CLOSE_LINE) || text.indexOf(MODE_LINE, backendAt) < 0) throw new Error('the rendered HTTP backend is not what this case compares against');
      // 'closed': the same backend closing each server connection after its response.
      if (name === 'closed') text = text.slice(0, backendAt) + text.slice(backendAt).replace(MODE_LINE, MODE_LINE + CLOSE_LINE);
      const file = path.join(dir, `${name}.cfg`);
      await writeFile(file, text);
      const child = spawn('haproxy', ['-W', '-S', path.join(dir, `${name}.master.sock`), '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      child.stderr.setEncoding('utf8').on('data', (s) => (log += s));
      children.push(child);
      const url = `http://127.0.0.1:${servicePort}/`;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const up = await new Promise((resolve) => {
          const req = request(url, { agent: false }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode === 200))));
          req.on('error', () => resolve(false));
          req.end();
        });
        if (up) break;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`HAProxy (${name}) did not serve: ${log.slice(-500)}`);
        await sleep(100);
      }
      variants[name] = { url, keepAlive: { rps: [], lat: [], conns: 0, requests: 0, errors: 0 }, fresh: { rps: [], lat: [], conns: 0, requests: 0, errors: 0 } };
    }
    // Warm-up, then alternating rounds.
    for (const name of ['bbm', 'closed']) await round(variants[name].url, true, 500);
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of ['keepAlive', 'fresh']) {
        const order = r % 2 === 0 ? ['bbm', 'closed'] : ['closed', 'bbm'];
        for (const name of order) {
          const v = variants[name][kind];
          const connsBefore = serverConnections;
          const res = await round(variants[name].url, kind === 'keepAlive', ROUND_MS);
          v.conns += serverConnections - connsBefore;
          v.requests += res.latencies.length;
          v.errors += res.errors;
          v.rps.push(res.latencies.length / res.seconds);
          v.lat.push(...res.latencies);
        }
      }
    }
    const rows = [];
    for (const kind of ['keepAlive', 'fresh']) {
      const label = kind === 'keepAlive' ? 'keep-alive clients' : 'new connection per request';
      const stats = {};
      for (const name of ['bbm', 'closed']) {
        const v = variants[name][kind];
        const lat = v.lat.sort((a, b) => a - b);
        stats[name] = { rps: median(v.rps.sort((a, b) => a - b)), p50: median(lat), p99: lat[Math.max(0, Math.ceil(lat.length * 0.99) - 1)], per100: (100 * v.conns) / Math.max(1, v.requests), errors: v.errors };
      }
      const { bbm: a, closed: b } = stats;
      rows.push({ name: `${label}: requests/s, server connections reused (bbm)`, value: a.rps, unit: 'req/s', digits: 0, note: `median of ${ROUNDS} rounds × ${CONCURRENCY} loops; ${a.per100.toFixed(1)} server connections per 100 requests; ${a.errors} errors` });
      rows.push({ name: `${label}: requests/s, option http-server-close`, value: b.rps, unit: 'req/s', digits: 0, baseline: true, note: `${b.per100.toFixed(1)} server connections per 100 requests; ${b.errors} errors` });
      rows.push({ name: `${label}: latency median, reused / closed`, value: a.p50 / b.p50, unit: '×', digits: 2, note: `${a.p50.toFixed(2)} ms vs ${b.p50.toFixed(2)} ms; p99 ${a.p99.toFixed(2)} vs ${b.p99.toFixed(2)} ms` });
      rows.push({ name: `${label}: throughput, reused / closed`, value: a.rps / b.rps, unit: '×', digits: 2 });
    }
    return rows;
  } finally {
    for (const c of children) {
      if (c.exitCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await exited;
      }
    }
    await Promise.all(listeners.map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
    await rm(dir, { recursive: true, force: true });
  }
}
