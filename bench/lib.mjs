// Small helpers shared by the benchmark cases.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Wall time of a command, run `runs` times after `warmup` runs; returns sorted milliseconds. */
export function timeCommand(file, args, { runs = 15, warmup = 2, cwd, env } = {}) {
  const times = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(file, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i >= warmup) times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

export const median = (sorted) => sorted[Math.floor(sorted.length / 2)];

/** A TCP port free on 127.0.0.1 right now. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Imports a module of the built CLI (`dist/<file>`, e.g. 'haproxy/render.js') of the checkout under test. */
export const importDist = (ctx, file) => import(pathToFileURL(path.join(ctx.root, 'dist', file)).href);

/** Listens on 127.0.0.1 (`port` 0: any free port); resolves with the port, rejects when it cannot bind. */
export function listen(server, port = 0) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => (server.off('error', reject), resolve(server.address().port)));
  });
}

/** Starts `bbm devcluster` on a free loopback port; resolves with its URL and process once it listens. */
export function startDevcluster(cli, stateDir, name) {
  const p = spawn(process.execPath, [cli, 'devcluster', '--port', '0', '--state-dir', stateDir, '--name', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  p.stderr.resume();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('devcluster did not start in 60 s')), 60_000);
    createInterface({ input: p.stdout }).on('line', (l) => {
      const m = /^devcluster listening on (\S+)$/.exec(l);
      if (m) {
        clearTimeout(t);
        resolve({ url: m[1], proc: p });
      }
    });
    p.once('exit', (c) => reject(new Error(`devcluster exited ${c}`)));
  });
}
