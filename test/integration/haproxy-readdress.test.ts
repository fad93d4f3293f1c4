/**
 * A slot re-addressed from one task to another must stop sending requests to the old address at
 * once, even while the old task still serves (a container draining after SIGTERM).
 *
 * Real HAProxy, real Bridge (bbm's renderer, planner and runtime API calls, the busy slots read
 * from HAProxy): backends A, B and C on 127.0.0.1 answer with their name after a short delay, so
 * requests are in flight on HAProxy's server connections when the slot moves. Clients keep sending
 * through the frontend, on keep-alive connections and on a new connection per request; every
 * request carries its sequence number. The app's one task moves A → B → C through each of the
 * three ways bbm moves a slot: task events applied through the runtime API, a full resync whose
 * plan goes through the runtime API, and a full resync that reloads (no runtime API). A and B are
 * left running; no request sent after a move was applied may reach an earlier task. C ends in A's
 * slot, so a slot is re-addressed while its old task still runs.
 *
 * Before the fix (a new task put into the slot its old task had just left, `maint` → `addr` →
 * `ready`), requests kept reaching the old task: 249 to 7660 after the change, new client
 * connections among them. A server connection busy with a request when the slot moved goes back to
 * the slot's idle connections after its response, and HAProxy reuses it for the slot whatever the
 * slot's address now is. HAProxy 2.6 purges a server's idle connections when its address changes
 * (src/server.c, srv_update_addr_port → srv_cleanup_connections), not the busy ones; and with the
 * backend's `retry-on` covering conn-failure, empty-response and response-timeout, even the first
 * request of a new client connection may take an idle server connection (src/backend.c,
 * connect_server). Without the busy slots (the driver's busySlots left out) the first two tests
 * fail the same way.
 */
import { createServer, Agent, request, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { busySlots, cliCommand, installConfig, runtimeCommands } from '../../src/haproxy/adapter.js';
import { ManagedHaproxy } from '../../src/haproxy/managed.js';
import { Bridge, type HaproxyDriver } from '../../src/discovery/bridge.js';
import type { AppInfo, MarathonEvent, Task } from '../../src/marathon/types.js';
import { memoryReporter } from '../../src/reporter.js';
import { app, task } from '../unit/discovery/fixtures.js';
import { components, describeWith } from '../support/integration.js';
import { freePort, until } from '../support/ports.js';

const d = await describeWith([components.haproxy]);

/** How long each backend takes to answer: long enough that requests are in flight when the slot moves. */
const ANSWER_MS = 20;
/** How long traffic runs after the change before the test looks at where it went. */
const AFTER_MS = 1_500;

interface Backend {
  name: string;
  port: number;
  server: Server;
  /** The sequence numbers of the requests it answered. */
  seqs: number[];
  /** The same requests' client kind: `keep-alive` or `new connection`. */
  kinds: string[];
}

async function startBackend(name: string): Promise<Backend> {
  const seqs: number[] = [];
  const kinds: string[] = [];
  const server = createServer((req, res) => {
    seqs.push(Number(req.headers['x-seq']));
    kinds.push(String(req.headers['x-client']));
    setTimeout(() => res.end(name), ANSWER_MS);
  });
  // A real task keeps idle connections open for a while (nginx: 75 s); Node's default is 5 s.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { name, port: (server.address() as { port: number }).port, server, seqs, kinds };
}

/** Sequential clients through HAProxy: `keepAlive` loops on one connection each, `fresh` loops on a new connection per request. */
function startClients(url: string, keepAlive: number, fresh: number) {
  let seq = 0;
  let stopping = false;
  const errors: string[] = [];
  const one = (agent: Agent | false) =>
    new Promise<void>((resolve) => {
      const req = request(url, { agent, headers: { 'x-seq': String(++seq), 'x-client': agent ? 'keep-alive' : 'new connection' }, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) errors.push(`status ${res.statusCode}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => (errors.push(e.message), resolve()));
      req.end();
    });
  const loop = async (agent: Agent | false) => {
    while (!stopping) await one(agent);
    if (agent) agent.destroy();
  };
  const loops = [
    ...Array.from({ length: keepAlive }, () => loop(new Agent({ keepAlive: true, maxSockets: 1 }))),
    ...Array.from({ length: fresh }, () => loop(false)),
  ];
  return {
    /** The sequence number of the last request sent so far. */
    get seq() {
      return seq;
    },
    errors,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

d('a re-addressed HAProxy slot stops reaching the old task (real haproxy)', () => {
  let dir: string;
  const managed: ManagedHaproxy[] = [];
  const backends: Backend[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bbm-readdress-'));
  });

  afterAll(async () => {
    for (const m of managed) await m.stop(2_000);
    for (const b of backends) {
      b.server.closeAllConnections();
      await new Promise((r) => b.server.close(r));
    }
    await rm(dir, { recursive: true, force: true });
  });

  type Move = (bridge: Bridge, apps: { current: AppInfo[] }, from: Task, to: Task) => Promise<void>;

  /**
   * One HAProxy run by a Bridge over one HTTP app whose single task moves A → B → C by `move`.
   * Returns, per move, the requests sent after it was applied that still reached an earlier task.
   */
  async function scenario(name: string, opts: { runtime: boolean }, move: Move): Promise<number[][]> {
    const chain = [await startBackend(`${name}-A`), await startBackend(`${name}-B`), await startBackend(`${name}-C`)];
    backends.push(...chain);
    const servicePort = await freePort();
    const out = path.join(dir, `${name}.cfg`);
    const statsSocket = `${out}.sock`;
    const reporter = memoryReporter();
    const appId = `/readdress/${name}`;
    const tasks = chain.map((b) => task(appId, '127.0.0.1', [b.port]));
    const labels = { HAPROXY_0_MODE: 'http' };
    const base = app(appId, [servicePort], [tasks[0]!], { labels });
    const apps = { current: [base] };
    let haproxy: ManagedHaproxy | undefined;
    const driver: HaproxyDriver = {
      applyFirst: true,
      install: (text, o) => installConfig(out, text, 'haproxy', o),
      reload: async () => {
        if (!haproxy) {
          haproxy = await ManagedHaproxy.start({ haproxyBin: 'haproxy', configFile: out, masterSocket: `${out}.master.sock`, reporter });
          managed.push(haproxy);
        } else await haproxy.reload();
      },
      ...(opts.runtime
        ? { runtime: (commands: readonly string[]) => runtimeCommands(statsSocket, commands), busySlots: (b?: readonly string[]) => busySlots(statsSocket, b) }
        : {}),
    };
    const bridge = new Bridge(
      { getApps: async () => structuredClone(apps.current), events: async function* () {}, haproxy: driver, reporter },
      { bind: '127.0.0.1', render: { statsSocket, httpPort: 0, httpBind: '127.0.0.1' } },
    );
    await bridge.syncOnce('start');
    const url = `http://127.0.0.1:${servicePort}/`;
    await until('HAProxy routes to A', async () => (await fetch(url).then((r) => r.text())) === chain[0]!.name, 30_000, 100);

    const clients = startClients(url, 4, 2);
    const late: number[][] = [];
    try {
      await until('traffic on A', () => chain[0]!.seqs.length > 50, 30_000, 50);
      for (let step = 1; step < chain.length; step++) {
        const to = chain[step]!;
        await move(bridge, apps, tasks[step - 1]!, tasks[step]!);
        const appliedAt = clients.seq;
        await until(`traffic on ${to.name}`, () => to.seqs.some((s) => s > appliedAt), 30_000, 50);
        await sleep(AFTER_MS);
        const earlier = chain.slice(0, step);
        const stale = earlier.flatMap((b) => b.seqs.filter((s) => s > appliedAt));
        const staleFresh = earlier.reduce((n, b) => n + b.seqs.filter((s, i) => s > appliedAt && b.kinds[i] === 'new connection').length, 0);
        process.stderr.write(
          `${name}: ${earlier.at(-1)!.name} → ${to.name} applied at request #${appliedAt}; after it earlier tasks answered ${stale.length} (${staleFresh} on new client connections), ${to.name} ${to.seqs.filter((s) => s > appliedAt).length}\n`,
        );
        late.push(stale);
      }
      await clients.stop();
      expect(clients.errors).toEqual([]);
      // The last task sits in s1, where A was: a slot was re-addressed while A still runs.
      const state = await cliCommand(statsSocket, `show servers state bbm_readdress_${name}_${servicePort}`);
      const s1 = state.split('\n').map((l) => l.split(' ')).find((f) => f[3] === 's1');
      expect(s1?.[18]).toBe(String(chain[2]!.port));
      return late;
    } finally {
      await clients.stop();
    }
  }

  const killAndRun: Move = async (bridge, _apps, from, to) => {
    const ev = (t: Task, taskStatus: string): MarathonEvent => ({
      eventType: 'status_update_event',
      timestamp: new Date().toISOString(),
      appId: t.appId,
      taskId: t.id,
      taskStatus,
      host: '127.0.0.1',
      ports: t.ports,
      slaveId: 'agent-1',
      version: '2026-01-01T00:00:00.000Z',
    });
    const r = await bridge.applyEvents([ev(from, 'TASK_KILLED'), ev(to, 'TASK_RUNNING')]);
    expect(r.resync).toBeUndefined();
    expect(r.commands).toBeGreaterThan(0);
  };
  const resyncTo =
    (action: 'runtime' | 'reload'): Move =>
    async (bridge, apps, _from, to) => {
      apps.current = [{ ...apps.current[0]!, tasks: [to] }];
      expect((await bridge.syncOnce('resync')).action).toBe(action);
    };

  it('task events applied through the runtime API: no request reaches a task after its slot moved on', async () => {
    expect(await scenario('events', { runtime: true }, killAndRun)).toEqual([[], []]);
  });

  it('a full resync through the runtime API: no request reaches a task after its slot moved on', async () => {
    expect(await scenario('resync', { runtime: true }, resyncTo('runtime'))).toEqual([[], []]);
  });

  it('a full resync that reloads (no runtime API): no request reaches a task once the new worker runs', async () => {
    expect(await scenario('reload', { runtime: false }, resyncTo('reload'))).toEqual([[], []]);
  });
});
