/**
 * `bbm devcluster` as a library: starts the engine on a state folder and serves Marathon's /v2
 * subset over HTTP. `close()` stops serving and scheduling; the task containers keep running (as
 * Marathon's tasks do when the scheduler restarts) and are adopted by the next start.
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { packageVersion } from '../package-root.js';
import type { Reporter } from '../reporter.js';
import { silentReporter } from '../reporter.js';
import { DockerRuntime } from './docker.js';
import type { PullPolicy } from './docker.js';
import { Engine } from './engine.js';
import { within } from './within.js';
import { EventBus } from './events.js';
import { isLoopback } from './guard.js';
import { claimPresence, releasePresence } from './presence.js';
import { createHandler } from './server.js';
import { StateStore } from './store.js';

export interface DevclusterOptions {
  host?: string;
  port?: number;
  stateDir: string;
  /** Names this cluster's containers (label bbm.devcluster.name); default `default`. */
  name?: string;
  hostPortRange?: [number, number];
  servicePortRange?: [number, number];
  /** What tasks report as their host and get as $HOST; default 127.0.0.1. */
  advertiseHost?: string;
  dockerSocket?: string;
  /** Pull images that are missing (default) or never pull. */
  pull?: PullPolicy;
  /** Image for apps that have no container; default bbm-test/busybox:latest. */
  defaultImage?: string;
  reporter?: Reporter;
  /** `user:password`: every request needs HTTP basic auth (as Marathon's --http_credentials). Required off loopback. */
  credentials?: string;
  /** Accept privileged containers, host-path volumes and access-widening docker parameters (default: 422). */
  allowPrivileged?: boolean;
  /** Reconcile period (ms); default 250. */
  tickMs?: number;
  heartbeatMs?: number;
}

export interface Devcluster {
  url: string;
  close(): Promise<void>;
}

export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export async function startDevcluster(opts: DevclusterOptions): Promise<Devcluster> {
  const name = opts.name ?? 'default';
  if (!NAME_PATTERN.test(name)) throw new UsageError(`--name ${JSON.stringify(name)} is not a valid cluster name`, { hint: 'use letters, digits, ".", "_" and "-" (it becomes part of container names)' });
  const hostPortRange = opts.hostPortRange ?? [31000, 32000];
  const servicePortRange = opts.servicePortRange ?? [10000, 20000];
  for (const [what, [lo, hi]] of [['--host-port-range', hostPortRange], ['service port range', servicePortRange]] as const)
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi <= 65535 && lo <= hi))
      throw new UsageError(`${what} ${lo}-${hi} is not a valid port range`, { hint: 'give it as LOW-HIGH, e.g. 31000-32000' });
  const host = opts.host ?? '127.0.0.1';
  const reporter = opts.reporter ?? silentReporter;
  if (!isLoopback(host)) {
    if (opts.credentials === undefined)
      throw new UsageError(`--host ${host} is not a loopback address: anyone who reaches it could run containers on this machine`, {
        hint: 'keep the default --host 127.0.0.1, or give --auth-file FILE (one line user:password; clients send it as HTTP basic auth)',
      });
    reporter.warn(`devcluster: listening on ${host}, beyond this machine: every request needs the --auth-file credentials; use it only on a network you trust (the API runs containers)`);
  }
  if (opts.credentials !== undefined && !/^[^:\s]+:\S+$/.test(opts.credentials))
    throw new UsageError('the devcluster credentials are not of the form user:password', { hint: 'write one line user:password into the --auth-file' });
  const bus = new EventBus();
  const runtime = new DockerRuntime(opts.dockerSocket, opts.pull ?? 'missing');
  runtime.onWarning = (line) => reporter.warn(`devcluster: ${line}`);
  const engine = new Engine({
    name,
    runtime,
    store: new StateStore(opts.stateDir),
    bus,
    reporter,
    hostPortRange,
    servicePortRange,
    bindAddress: '127.0.0.1',
    advertiseHost: opts.advertiseHost ?? '127.0.0.1',
    defaultImage: opts.defaultImage ?? 'bbm-test/busybox:latest',
    tickMs: opts.tickMs ?? 250,
    killGraceSeconds: 3,
    allowPrivileged: opts.allowPrivileged ?? false,
  });
  await engine.load();

  const streams = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let hostPort = `${host}:${opts.port ?? 8080}`;
  let boundPort = opts.port ?? 8080;
  const names = [...new Set([opts.advertiseHost ?? '127.0.0.1', os.hostname()])];
  const handler = createHandler(
    engine,
    { name, version: packageVersion(), hostPort: () => hostPort, hostPortRange, servicePortRange, heartbeatMs: opts.heartbeatMs ?? 10_000,
      stateId: () => engine.stateId,
      guard: () => ({ bindHost: host, port: boundPort, names, ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}) }),
    },
    streams,
  );
  const server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://devcluster');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (!ready && url.pathname !== '/v2/info') {
      // bound (so a second engine can ask whether this one is alive) but not yet serving
      req.resume();
      res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' }).end('{"message":"bbm devcluster is starting"}');
      return;
    }
    void handler(req, res, url);
  });
  let ready = false;
  // Idle keep-alive connections stay open as long as Jetty keeps them (its 30 s idle timeout):
  // Node's 5 s default races clients that reuse a connection just as the server drops it.
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 8080, host, () => resolve());
    });
  } catch (e) {
    await engine.stop();
    throw e;
  }
  const stopServing = async () => {
    for (const r of streams) r.end();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  hostPort = `${shownHost}:${address.port}`;
  boundPort = address.port;
  engine.engineUrl = `http://${hostPort}`;
  try {
    await claimPresence(runtime, { name, stateId: engine.stateId, url: engine.engineUrl, stateDir: opts.stateDir });
    await engine.start();
  } catch (e) {
    await stopServing();
    await engine.stop();
    throw e;
  }
  ready = true;
  return {
    url: `http://${hostPort}`,
    async close() {
      // The name first: the CLI gives a stopping command 1.5 s before it ends the process, and a
      // name left behind costs the next engine a liveness probe (and leaks a volume per name).
      await within(
        1000,
        releasePresence(runtime, name, engine.stateId).catch((e: unknown) => reporter.warn(`devcluster: could not release the name ${name}: ${(e as Error).message}`)),
      );
      await stopServing();
      await engine.stop();
    },
  };
}
