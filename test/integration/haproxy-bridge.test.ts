/**
 * End to end: `bbm haproxy --watch --run-haproxy` (the real CLI, running Debian's HAProxy in
 * master-worker mode) against a real `bbm devcluster` whose tasks are real containers, reached
 * through a fault proxy. Traffic goes to the service port on 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliCommand } from '../../src/haproxy/adapter.js';
import { BASE_IMAGE, components, describeWith } from '../support/integration.js';
import { startTestDevcluster, type TestDevcluster } from '../support/devcluster.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startLoad } from '../support/http-load.js';
import { freePort, until } from '../support/ports.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');
const d = await describeWith([components.docker, components.baseImage, components.haproxy]);

function appDefinition(servicePort: number, version: string, instances: number) {
  return {
    id: '/disco/web',
    instances,
    cpus: 0.05,
    mem: 16,
    networks: [{ mode: 'container/bridge' }],
    container: { type: 'DOCKER', docker: { image: BASE_IMAGE }, portMappings: [{ containerPort: 8080, hostPort: 0, servicePort, protocol: 'tcp' }] },
    // The body names the version and the task, so the test sees which task answered. Like any
    // app that wants zero failed requests behind a balancer, it keeps serving for a moment
    // after SIGTERM while the bridge takes it out, and says how long it needs: without
    // taskKillGracePeriodSeconds the engine kills at once, as Mesos' Docker executor does.
    cmd: `mkdir -p /www && echo ${version}-$MESOS_TASK_ID > /www/index.html && httpd -f -p 8080 -h /www & pid=$!; trap 'sleep 2; kill $pid' TERM; wait $pid; wait $pid`,
    env: { VERSION: version },
    taskKillGracePeriodSeconds: 5,
    labels: { HAPROXY_GROUP: 'external', HAPROXY_0_MODE: 'http' },
    healthChecks: [{ protocol: 'MESOS_HTTP', portIndex: 0, path: '/', gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3, delaySeconds: 1 }],
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 },
  };
}

d('bbm haproxy --watch with a real devcluster and a real HAProxy', () => {
  let dc: TestDevcluster;
  let proxy: FaultProxy;
  let dir: string;
  let bridge: ChildProcess;
  let bridgeLog = '';
  let healthUrl = '';
  let servicePort: number;
  const out = () => path.join(dir, 'haproxy.cfg');
  const backend = () => `bbm_disco_web_${servicePort}`;
  const serviceUrl = () => `http://127.0.0.1:${servicePort}/`;

  const mark = (what: string) => (bridgeLog += `${new Date().toISOString().slice(11, 23)} TEST: ${what}\n`);
  async function put(def: object) {
    const res = await fetch(`${dc.url}/v2/apps/disco/web`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(def) });
    expect(res.status, await res.text()).toBeLessThan(300);
  }
  async function deploymentsDone() {
    await until('deployments to finish', async () => ((await (await fetch(`${dc.url}/v2/deployments`)).json()) as unknown[]).length === 0, 120_000, 300);
  }
  /** `bbm endpoints --healthy-only` for the app: the addresses Marathon says are healthy. */
  function healthyEndpoints(): string[] {
    const r = spawnSync(process.execPath, [CLI, 'endpoints', '--marathon', dc.url, '--healthy-only'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('disco_web '));
    return (line?.split(' ').slice(2) ?? []).sort();
  }
  /** The servers HAProxy's running worker has enabled, from its runtime API. */
  async function haproxyServers(): Promise<string[]> {
    const text = await cliCommand(`${out()}.sock`, `show servers state ${backend()}`);
    return text
      .split('\n')
      .filter((l) => /^\d+ /.test(l))
      .map((l) => l.split(' '))
      .filter((f) => (Number(f[6]) & 1) === 0 && f[5] === '2')
      .map((f) => `${f[4]}:${f[18]}`)
      .sort();
  }
  /** The enabled servers of the backend in the file on disk (`server sN ip:port`, not disabled). */
  async function fileServers(): Promise<string[]> {
    const text = await readFile(out(), 'utf8');
    const at = text.indexOf(`\nbackend ${backend()}\n`);
    const section = text.slice(at + 1).split('\n\n')[0] ?? '';
    return [...section.matchAll(/^ {2}server s\d+ (\S+)$/gm)].map((m) => m[1]!).sort();
  }
  async function routesMatch() {
    await until(
      'HAProxy to route exactly to the healthy tasks',
      async () => {
        const want = healthyEndpoints();
        const have = await haproxyServers();
        return want.length > 0 && JSON.stringify(want) === JSON.stringify(have);
      },
      60_000,
      500,
    );
  }
  async function health() {
    return (await (await fetch(healthUrl)).json()) as { healthy: boolean; connects: number; syncs: number; reloads: number; runtimeUpdates: number; eventUpdates: number; lastSyncAt: string };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bbm-bridge-'));
    dc = await startTestDevcluster();
    proxy = await startFaultProxy(dc.url);
    servicePort = await freePort();
    const httpPort = await freePort();
    bridge = spawn(
      process.execPath,
      [CLI, 'haproxy', '--marathon', proxy.url, '--out', out(), '--watch', '--run-haproxy', '--bind', '127.0.0.1', '--http-port', String(httpPort),
        '--group', 'external', '--health-port', '0', '--stall-timeout', '12', '--resync-interval', '10', '--debounce', '200'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    bridge.stderr!.setEncoding('utf8').on('data', (s: string) => {
      const at = new Date().toISOString().slice(11, 23);
      bridgeLog += s.replace(/^(?=.)/gm, `${at} `);
    });
    healthUrl = await until('the bridge health line', () => /health: (http:\S+)/.exec(bridgeLog)?.[1], 30_000, 100);
  });

  afterAll(async () => {
    if (process.env.BBM_TEST_BRIDGE_LOG) await import('node:fs/promises').then((fs) => fs.writeFile(process.env.BBM_TEST_BRIDGE_LOG!, bridgeLog));
    if (bridge && bridge.exitCode === null) {
      const exited = new Promise((r) => bridge.once('exit', r));
      bridge.kill('SIGTERM');
      const t = setTimeout(() => bridge.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    await proxy?.close();
    await dc?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('routes the service port to the running, healthy tasks and reports its health', async () => {
    await put(appDefinition(servicePort, 'v1', 2));
    await deploymentsDone();
    await routesMatch();
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await (await fetch(serviceUrl())).text());
    expect([...seen].every((b) => b.startsWith('v1-disco_web.instance-'))).toBe(true);
    expect(seen.size).toBe(2);
    const h = await health();
    expect(h.healthy).toBe(true);
    expect(h.connects).toBeGreaterThanOrEqual(1);

    // bbm endpoints: the seed's line format and --json, read from /v2/apps?embed=apps.tasks.
    const plain = spawnSync(process.execPath, [CLI, 'endpoints', '--marathon', dc.url], { encoding: 'utf8' });
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`^disco_web ${servicePort} 127\\.0\\.0\\.1:\\d+ 127\\.0\\.0\\.1:\\d+$`, 'm'));
    const json = spawnSync(process.execPath, [CLI, 'endpoints', '--marathon', dc.url, '--json'], { encoding: 'utf8' });
    const parsed = JSON.parse(json.stdout) as { appId: string; servicePort: number; tasks: { healthy: boolean }[] }[];
    const web = parsed.find((e) => e.appId === '/disco/web');
    expect(web?.servicePort).toBe(servicePort);
    expect(web?.tasks.map((t) => t.healthy)).toEqual([true, true]);

    // One-shot bbm haproxy: writes a checked file and says what it did.
    const once = spawnSync(process.execPath, [CLI, 'haproxy', '--marathon', dc.url, '--out', path.join(dir, 'once.cfg'), '--http-port', '18080', '--group', 'external'], { encoding: 'utf8' });
    expect(once.status, once.stderr).toBe(0);
    expect(once.stdout.trim()).toBe(`${path.join(dir, 'once.cfg')}: installed, 1 services, 2 servers`);
  });

  it('loses no request while the app is upgraded (rolling) and scaled', async () => {
    const before = await health();
    const load = startLoad(serviceUrl(), { keepAlive: 2, fresh: 2, accept: (b) => /^v[12]-disco_web\.instance-/.test(b) });
    try {
      await until('some traffic', () => load.result.ok > 20, 30_000, 100);
      mark('upgrade to v2');
      await put(appDefinition(servicePort, 'v2', 2));
      await deploymentsDone();
      await until('v2 everywhere', async () => (await (await fetch(serviceUrl())).text()).startsWith('v2-') && healthyEndpoints().length === 2, 60_000);
      mark('scale to 5');
      await put(appDefinition(servicePort, 'v2', 5)); // beyond 4 slots: a seamless reload
      await deploymentsDone();
      await routesMatch();
      mark('scale to 1');
      await put(appDefinition(servicePort, 'v2', 1));
      await deploymentsDone();
      await routesMatch();
      const okBefore = load.result.ok;
      await until('more traffic after the last change', () => load.result.ok > okBefore + 20, 30_000, 100);
    } finally {
      await load.stop();
    }
    // The file follows what HAProxy runs (patched from the events, no full render).
    await until('the file to hold what HAProxy routes', async () => JSON.stringify(await fileServers()) === JSON.stringify(await haproxyServers()), 30_000, 300);
    const r = load.result;
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.ok).toBeGreaterThan(100);
    const bodies = [...r.bodies.keys()];
    expect(bodies.some((b) => b.startsWith('v1-'))).toBe(true);
    expect(bodies.some((b) => b.startsWith('v2-'))).toBe(true);
    const after = await health();
    // Task changes went through the runtime API, applied from the task and health events
    // themselves (no /v2/apps read); growing past the slots needed a reload.
    expect(after.runtimeUpdates).toBeGreaterThan(before.runtimeUpdates);
    expect(after.eventUpdates).toBeGreaterThan(before.eventUpdates);
    expect(after.reloads).toBeGreaterThan(before.reloads);
    process.stderr.write(`zero-failure run: ${r.ok} requests ok, ${r.failed} failed; runtime updates ${after.runtimeUpdates - before.runtimeUpdates} (${after.eventUpdates - before.eventUpdates} from events alone), reloads ${after.reloads - before.reloads}\n`);
  });

  it('notices when the event stream dies and the engine restarts, resyncs and routes right again', async () => {
    await put(appDefinition(servicePort, 'v3', 2));
    await deploymentsDone();
    await routesMatch();
    const before = await health();
    const { app: current } = (await (await fetch(`${dc.url}/v2/apps/disco/web`)).json()) as { app: { tasks: { id: string }[] } };
    expect(current.tasks).toHaveLength(2);
    const logBefore = bridgeLog.length;
    await dc.stop(); // the event stream ends; the bridge keeps trying (through the proxy: 502)
    // While no engine runs, one task's container dies; only a full resync after reconnect can tell.
    const victim = spawnSync('docker', ['ps', '-q', '--filter', `label=bbm.devcluster.task=${current.tasks[0]!.id}`], { encoding: 'utf8' }).stdout.trim();
    expect(victim).not.toBe('');
    spawnSync('docker', ['rm', '-f', victim]);
    await until('the bridge to notice', () => /event stream (ended|failed)/.test(bridgeLog.slice(logBefore)), 30_000, 200);
    await dc.restart();
    proxy.setTarget(dc.url);
    await until('a new connection', async () => (await health()).connects > before.connects, 60_000, 300);
    await deploymentsDone().catch(() => undefined);
    await routesMatch();
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const res = await fetch(serviceUrl());
      expect(res.status).toBe(200);
      seen.add(await res.text());
    }
    expect([...seen].every((b) => b.startsWith('v3-'))).toBe(true);
    expect((await health()).healthy).toBe(true);
  });
});
