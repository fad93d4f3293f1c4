import { describe, expect, it } from 'vitest';
import type { InstallResult } from '../../../src/haproxy/adapter.js';
import { parseBusySlots, parseReloadCommand } from '../../../src/haproxy/adapter.js';
import { parseShowProc } from '../../../src/haproxy/managed.js';
import { Bridge, isUrgent, type BridgeDeps, type EventStreamHooks } from '../../../src/discovery/bridge.js';
import { healthReport } from '../../../src/discovery/health.js';
import type { AppInfo, MarathonEvent } from '../../../src/marathon/types.js';
import { memoryReporter } from '../../../src/reporter.js';
import { alive, app, task, tcpCheck } from './fixtures.js';

const ev = (eventType: string, extra: Record<string, unknown> = {}): MarathonEvent => ({ eventType, timestamp: '2026-01-01T00:00:00.000Z', ...extra });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => boolean, ms = 5_000) {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A scripted Marathon and HAProxy: counts fetches, installs, reloads and runtime calls. */
function harness() {
  let apps: AppInfo[] = [app('/a', [10001], [task('/a', '10.0.0.1', [31000])])];
  const calls = { getApps: 0, checks: [] as boolean[], installs: [] as string[], reloads: 0, runtime: [] as string[][], connects: 0 };
  let file = '';
  let reject = false;
  /** Each connection: a queue the test pushes events into; `null` ends the stream, 'stall' sends nothing. */
  const connections: { push(e: MarathonEvent | null): void; hooks: EventStreamHooks }[] = [];
  const reporter = memoryReporter();
  const deps: BridgeDeps = {
    reporter,
    getApps: async () => {
      calls.getApps++;
      return structuredClone(apps);
    },
    events: (hooks) => {
      calls.connects++;
      const queue: (MarathonEvent | null)[] = [];
      let wake: (() => void) | undefined;
      connections.push({ push: (e) => (queue.push(e), wake?.()), hooks });
      return (async function* () {
        hooks.onOpen();
        for (;;) {
          if (hooks.signal.aborted) return;
          const next = queue.shift();
          if (next === null) return;
          if (next) {
            yield next;
            continue;
          }
          await new Promise<void>((r) => {
            wake = r;
            hooks.signal.addEventListener('abort', () => r(), { once: true });
          });
        }
      })();
    },
    haproxy: {
      install: async (text, opts): Promise<InstallResult> => {
        calls.checks.push(opts?.check !== false);
        if (reject) return { status: 'rejected', rejectedFile: '/x.rejected', output: 'ALERT: nope' };
        if (text === file) return { status: 'unchanged' };
        file = text;
        calls.installs.push(text);
        return { status: 'installed' };
      },
      runtime: async (commands) => void calls.runtime.push([...commands]),
      reload: async () => void calls.reloads++,
      applyFirst: true,
    },
  };
  return {
    deps,
    calls,
    connections,
    reporter,
    setApps: (a: AppInfo[]) => (apps = a),
    setReject: (r: boolean) => (reject = r),
    options: { bind: '127.0.0.1', render: { statsSocket: '/tmp/s.sock', httpPort: 8080, httpBind: '127.0.0.1' } },
  };
}

describe('Bridge.syncOnce', () => {
  it('reloads the first time, does nothing when nothing changed, uses the runtime API for task changes and reloads for new services', async () => {
    const h = harness();
    const b = new Bridge(h.deps, h.options);
    expect((await b.syncOnce('t')).action).toBe('reload');
    expect((await b.syncOnce('t')).action).toBe('none');
    h.setApps([app('/a', [10001], [task('/a', '10.0.0.2', [31000])])]);
    expect((await b.syncOnce('t')).action).toBe('runtime');
    expect(h.calls.runtime.at(-1)).toContain('set server bbm_a_10001/s1 addr 10.0.0.2 port 31000');
    h.setApps([app('/a', [10001], []), app('/b', [10002], [])]);
    expect((await b.syncOnce('t')).action).toBe('reload');
    expect(h.calls.reloads).toBe(2);
    expect(b.status.syncs).toBe(4);
    // haproxy -c runs for every new skeleton, not for slot-only changes.
    expect(h.calls.checks).toEqual([true, false, false, true]);
  });

  it('HTTP backends: a task replaced by a full sync goes into a slot no busy connection ties to an old task; busy slots unreadable → a reload', async () => {
    const h = harness();
    const http = { labels: { HAPROXY_0_MODE: 'http' } };
    h.setApps([app('/a', [10001], [task('/a', '10.0.0.1', [31000])], http)]);
    const asked: (readonly string[] | undefined)[] = [];
    // s2 still has a connection in use from a task that left earlier.
    h.deps.haproxy.busySlots = async (backends) => (asked.push(backends), new Map([['bbm_a_10001', new Set([1])]]));
    const b = new Bridge(h.deps, h.options);
    expect((await b.syncOnce('t')).action).toBe('reload');
    expect(asked).toEqual([]); // the first configuration is a reload: nothing to ask
    h.setApps([app('/a', [10001], [task('/a', '10.0.0.2', [31000])], http)]);
    expect((await b.syncOnce('t')).action).toBe('runtime');
    expect(asked).toEqual([['bbm_a_10001']]); // the HTTP backends that get a new task
    expect(h.calls.runtime.at(-1)).toEqual(['set server bbm_a_10001/s3 addr 10.0.0.2 port 31000', 'set server bbm_a_10001/s3 state ready', 'set server bbm_a_10001/s1 state maint']);
    h.deps.haproxy.busySlots = async () => {
      throw new Error('socket gone');
    };
    h.setApps([app('/a', [10001], [task('/a', '10.0.0.3', [31000])], http)]);
    expect((await b.syncOnce('t')).action).toBe('reload');
    expect(h.calls.runtime).toHaveLength(1);
    expect(h.reporter.lines.join('\n')).toMatch(/cannot read which slots are busy \(socket gone\); server changes reload instead/);
  });

  it('a rejected configuration is reported, nothing is applied, and the bridge recovers', async () => {
    const h = harness();
    const b = new Bridge(h.deps, h.options);
    await b.syncOnce('t');
    h.setReject(true);
    h.setApps([app('/b', [10002], [])]);
    await expect(b.syncOnce('t')).rejects.toThrow(/rejected.*\/x\.rejected[\s\S]*ALERT: nope/);
    expect(h.calls.reloads).toBe(1);
    expect(b.status.rejected).toBe(1);
    expect(b.status.lastError).toMatch(/rejected/);
    h.setReject(false);
    expect((await b.syncOnce('t')).action).toBe('reload');
    expect(b.status.lastError).toBeNull();
  });

  it('an unchanged file at start is not reloaded when HAProxy is run by someone else', async () => {
    const h = harness();
    await new Bridge(h.deps, h.options).syncOnce('first run');
    const { applyFirst: _ignored, ...external } = h.deps.haproxy;
    const second = new Bridge({ ...h.deps, haproxy: external }, h.options);
    expect((await second.syncOnce('restart')).action).toBe('none');
    expect(h.calls.reloads).toBe(1);
  });
});

describe('Bridge.watch', () => {
  it('resyncs on connect and debounces a burst of events into one sync', async () => {
    const h = harness();
    const b = new Bridge(h.deps, { ...h.options, debounceMs: 150, maxDelayMs: 1_000, resyncIntervalMs: 60_000, stallTimeoutMs: 60_000 });
    const stop = new AbortController();
    const watching = b.watch(stop.signal);
    await until('connect + first syncs', () => h.connections.length === 1 && b.status.syncs >= 2);
    const base = h.calls.getApps;
    for (let i = 0; i < 20; i++) h.connections[0]!.push(ev('instance_changed_event', { condition: 'Running' }));
    await until('the debounced sync', () => h.calls.getApps > base);
    await sleep(500);
    expect(h.calls.getApps - base).toBe(1);
    stop.abort();
    await watching;
  });

  it('syncs at once, without the debounce, when a task is being killed', async () => {
    const h = harness();
    // A debounce far longer than the test: only the urgent path can sync.
    const b = new Bridge(h.deps, { ...h.options, debounceMs: 60_000, maxDelayMs: 60_000, resyncIntervalMs: 60_000, stallTimeoutMs: 60_000 });
    const stop = new AbortController();
    const watching = b.watch(stop.signal);
    await until('connect + first syncs', () => h.connections.length === 1 && b.status.syncs >= 2);
    const base = h.calls.getApps;
    h.connections[0]!.push(ev('instance_changed_event', { condition: 'Running' }));
    h.connections[0]!.push(ev('status_update_event', { taskStatus: 'TASK_KILLING' }));
    await until('the urgent sync', () => h.calls.getApps - base === 1);
    stop.abort();
    await watching;
  });

  it('reconnects when the stream ends, and when it stalls (no byte for stallTimeoutMs), with a full resync each time', async () => {
    const h = harness();
    const b = new Bridge(h.deps, { ...h.options, stallTimeoutMs: 300, reconnectDelayMs: 20, resyncIntervalMs: 60_000 });
    const stop = new AbortController();
    const watching = b.watch(stop.signal);
    await until('connected', () => h.connections.length === 1);
    h.connections[0]!.push(null); // the server closes the stream
    await until('reconnected after the end', () => h.connections.length === 2);
    const syncsBefore = h.calls.getApps;
    // Heartbeats keep a quiet stream alive…
    for (let i = 0; i < 5; i++) {
      await sleep(100);
      h.connections[1]!.hooks.onActivity();
    }
    expect(h.connections.length).toBe(2);
    // …silence does not.
    await until('reconnected after a stall', () => h.connections.length === 3, 3_000);
    expect(h.connections[1]!.hooks.signal.aborted).toBe(true);
    await until('resynced', () => h.calls.getApps > syncsBefore);
    expect(h.reporter.lines.join('\n')).toMatch(/no byte from Marathon's event stream for 0.3 s; reconnecting/);
    expect(b.status.connects).toBe(3);
    stop.abort();
    await watching;
  });

  it('keeps trying when Marathon is away, and says so in its status', async () => {
    const h = harness();
    let down = true;
    const getApps = h.deps.getApps;
    h.deps.getApps = async () => {
      if (down) throw new Error('connect ECONNREFUSED');
      return getApps();
    };
    const b = new Bridge(h.deps, { ...h.options, resyncIntervalMs: 100, stallTimeoutMs: 60_000 });
    const stop = new AbortController();
    const watching = b.watch(stop.signal);
    await until('a failed sync', () => b.status.lastError !== null);
    expect(b.status.lastSyncAt).toBeNull();
    expect(healthReport(b.status, 1_000).healthy).toBe(false);
    down = false;
    await until('a good sync', () => b.status.lastSyncAt !== null);
    expect(healthReport(b.status, 1_000).healthy).toBe(true);
    stop.abort();
    await watching;
  });
});

describe('Bridge.watch: task and health events without fetching apps', () => {
  const running = (taskId: string, host: string, port: number) =>
    ev('status_update_event', { appId: '/a', taskId, taskStatus: 'TASK_RUNNING', host, ports: [port], slaveId: 's', message: '', version: 'v' });
  async function started(h: ReturnType<typeof harness>, extra: Record<string, unknown> = {}) {
    const b = new Bridge(h.deps, { ...h.options, debounceMs: 60_000, maxDelayMs: 60_000, resyncIntervalMs: 60_000, stallTimeoutMs: 60_000, fileDelayMs: 30, ...extra });
    const stop = new AbortController();
    const watching = b.watch(stop.signal);
    await until('connect + first syncs', () => h.connections.length === 1 && b.status.syncs >= 2);
    return { b, push: (e: MarathonEvent) => h.connections[0]!.push(e), done: async () => (stop.abort(), await watching) };
  }

  it('a new task, a task killed and a task turning unhealthy go to the runtime API at once; the file follows; /v2/apps is not read', async () => {
    const h = harness();
    const first = task('/a', '10.0.0.1', [31000], { healthCheckResults: [alive()] });
    h.setApps([app('/a', [10001], [first], { healthChecks: [tcpCheck] })]);
    // The debounce is longer than the test: only the event path can change anything.
    const { b, push, done } = await started(h);
    const fetched = h.calls.getApps;
    push(running('a.instance-new._app.1', '10.0.0.2', 31001));
    await sleep(50);
    expect(h.calls.runtime).toEqual([]); // running, but no health result yet: no traffic
    push(ev('health_status_changed_event', { appId: '/a', instanceId: 'a.instance-new', alive: true }));
    await until('the new task routed', () => h.calls.runtime.length === 1);
    expect(h.calls.runtime[0]).toEqual(['set server bbm_a_10001/s2 addr 10.0.0.2 port 31001', 'set server bbm_a_10001/s2 state ready']);
    push(ev('status_update_event', { appId: '/a', taskId: first.id, taskStatus: 'TASK_KILLING', host: '10.0.0.1', ports: [31000] }));
    await until('the killed task out', () => h.calls.runtime.length === 2);
    expect(h.calls.runtime[1]).toEqual(['set server bbm_a_10001/s1 state maint']);
    push(ev('instance_health_changed_event', { runSpecId: '/a', instanceId: 'a.instance-new', healthy: false }));
    await until('the unhealthy task out', () => h.calls.runtime.length === 3);
    expect(h.calls.runtime[2]).toEqual(['set server bbm_a_10001/s2 state maint']);
    await until('the file written from the model', () => /server s1 0\.0\.0\.0:0 disabled\n  server s2 0\.0\.0\.0:0 disabled/.test(h.calls.installs.at(-1) ?? ''));
    expect(h.calls.checks.at(-1)).toBe(false); // slots only: no haproxy -c
    expect(h.calls.getApps).toBe(fetched);
    expect(h.calls.reloads).toBe(1);
    expect(b.status.eventUpdates).toBe(3);
    // A full resync afterwards finds HAProxy and the file already right: no runtime call, no
    // reload, and the text it renders is byte for byte the one patched from the events.
    h.setApps([app('/a', [10001], [], { healthChecks: [tcpCheck] })]);
    const installs = h.calls.installs.length;
    const resync = await b.syncOnce('periodic resync');
    expect(resync.action).toBe('none');
    expect(resync.install.status).toBe('unchanged');
    expect(h.calls.installs).toHaveLength(installs);
    expect(h.calls.runtime).toHaveLength(3);
    await done();
  });

  it('the file patched from events is the text a full render gives (several apps, vhosts, two ports)', async () => {
    const h = harness();
    const a1 = task('/a', '10.0.0.1', [31000]);
    const b1 = task('/b', '10.0.0.2', [31001, 31002]);
    const c1 = task('/c', '10.0.0.3', [31003]);
    const apps = () => [
      app('/a', [10001], [a1]),
      app('/b', [10002, 10003], [b1, ...extraB], { labels: { HAPROXY_0_VHOST: 'b.example.com' } }),
      app('/c', [10004], [c1].filter((t) => t.state === 'TASK_RUNNING')),
    ];
    let extraB: ReturnType<typeof task>[] = [];
    h.setApps(apps());
    const { push, done } = await started(h);
    const installs = h.calls.installs.length;
    push(ev('status_update_event', { appId: '/b', taskId: 'b.instance-n._app.1', taskStatus: 'TASK_RUNNING', host: '10.0.0.9', ports: [32001, 32002] }));
    push(ev('status_update_event', { appId: '/c', taskId: c1.id, taskStatus: 'TASK_KILLED' }));
    await until('the file from events', () => h.calls.installs.length === installs + 1);
    extraB = [task('/b', '10.0.0.9', [32001, 32002])];
    c1.state = 'TASK_KILLED';
    h.setApps(apps());
    await until('the runtime calls', () => h.calls.runtime.flat().length === 5);
    const resync = await new Bridge(h.deps, h.options).syncOnce('compare');
    expect(resync.install.status).toBe('unchanged');
    await done();
  });

  it('falls back to a full sync for an app it does not hold (debounced) and for a removal it cannot place (at once)', async () => {
    const h = harness();
    const { push, done } = await started(h, { debounceMs: 100, maxDelayMs: 1_000 });
    const fetched = h.calls.getApps;
    push(ev('status_update_event', { appId: '/other', taskId: 'other.instance-x._app.1', taskStatus: 'TASK_RUNNING', host: '10.0.0.5', ports: [31005] }));
    await sleep(40);
    expect(h.calls.getApps).toBe(fetched);
    await until('the debounced full sync', () => h.calls.getApps === fetched + 1);
    push(ev('status_update_event', { appId: '/other', taskId: 'other.instance-x._app.1', taskStatus: 'TASK_KILLING' }));
    await until('the urgent full sync', () => h.calls.getApps === fetched + 2, 80);
    await done();
  });

  it('more healthy tasks than slots: a full sync and a reload', async () => {
    const h = harness();
    const { b, push, done } = await started(h, { debounceMs: 50 });
    // What Marathon lists once these tasks run: the full sync reads it.
    h.setApps([app('/a', [10001], [task('/a', '10.0.0.1', [31000]), ...[0, 1, 2, 3].map((i) => task('/a', `10.0.1.${i}`, [32000 + i]))])]);
    for (let i = 0; i < 4; i++) push(running(`a.instance-${i}._app.1`, `10.0.1.${i}`, 32000 + i));
    await until('the reload', () => h.calls.reloads === 2);
    expect(h.reporter.lines.join('\n')).not.toMatch(/failed/);
    expect(b.status.syncs).toBeGreaterThanOrEqual(3);
    await done();
  });

  it('task events on an HTTP backend: its busy slots (asked for that backend only) decide where a new task goes', async () => {
    const h = harness();
    const http = { labels: { HAPROXY_0_MODE: 'http' } };
    const first = task('/a', '10.0.0.1', [31000]);
    h.setApps([app('/a', [10001], [first], http), app('/t', [10002], [task('/t', '10.0.0.9', [31009])])]);
    const asked: (readonly string[] | undefined)[] = [];
    h.deps.haproxy.busySlots = async (backends) => (asked.push(backends), new Map([['bbm_a_10001', new Set([0, 1])]]));
    const { push, done } = await started(h);
    asked.length = 0;
    push(ev('status_update_event', { appId: '/a', taskId: first.id, taskStatus: 'TASK_KILLED', host: '10.0.0.1', ports: [31000] }));
    await until('the killed task out', () => h.calls.runtime.flat().includes('set server bbm_a_10001/s1 state maint'));
    expect(asked).toEqual([]); // a removal alone asks nothing
    push(running('a.instance-new._app.1', '10.0.0.2', 31001));
    await until('the new task routed', () => h.calls.runtime.flat().some((c) => c.includes('addr 10.0.0.2')));
    expect(h.calls.runtime.flat().filter((c) => c.includes(' addr '))).toEqual(['set server bbm_a_10001/s3 addr 10.0.0.2 port 31001']);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((a) => JSON.stringify(a) === JSON.stringify(['bbm_a_10001']))).toBe(true);
    await done();
  });

  it('task events on an HTTP backend with every slot busy: a full sync that grows the table (a reload)', async () => {
    const h = harness();
    const http = { labels: { HAPROXY_0_MODE: 'http' } };
    const first = task('/a', '10.0.0.1', [31000]);
    h.setApps([app('/a', [10001], [first], http)]);
    h.deps.haproxy.busySlots = async () => new Map([['bbm_a_10001', new Set([0, 1, 2, 3])]]);
    const { push, done } = await started(h, { debounceMs: 50 });
    h.setApps([app('/a', [10001], [first, task('/a', '10.0.0.2', [31001])], http)]);
    push(running('a.instance-new._app.1', '10.0.0.2', 31001));
    await until('the reload', () => h.calls.reloads === 2);
    expect(h.calls.installs.at(-1)).toMatch(/server s8 /);
    await done();
  });

  it('a runtime API failure leads to a full sync, which reloads', async () => {
    const h = harness();
    const { push, done } = await started(h);
    h.deps.haproxy.runtime = async () => {
      throw new Error('socket gone');
    };
    h.setApps([app('/a', [10001], [task('/a', '10.0.0.1', [31000]), task('/a', '10.0.0.2', [31001])])]);
    push(running('a.instance-new._app.1', '10.0.0.2', 31001));
    await until('the reload', () => h.calls.reloads === 2);
    expect(h.reporter.lines.join('\n')).toMatch(/applying 1 event\(s\) failed: socket gone; full resync/);
    await done();
  });

  it('applyEvents: false fetches apps on every event, as marathon-lb does', async () => {
    const h = harness();
    const { b, push, done } = await started(h, { applyEvents: false, debounceMs: 0 });
    const fetched = h.calls.getApps;
    push(running('a.instance-new._app.1', '10.0.0.2', 31001));
    await until('a full sync', () => h.calls.getApps === fetched + 1);
    expect(b.status.eventUpdates).toBe(0);
    await done();
  });
});

describe('helpers', () => {
  it.each([
    [ev('status_update_event', { taskStatus: 'TASK_KILLING' }), true],
    [ev('status_update_event', { taskStatus: 'TASK_RUNNING' }), false],
    [ev('health_status_changed_event', { alive: false }), true],
    [ev('health_status_changed_event', { alive: true }), false],
    [ev('instance_health_changed_event', { healthy: false }), true],
    [ev('instance_changed_event', { condition: 'Killing' }), true],
    [ev('app_terminated_event'), true],
    [ev('deployment_success'), false],
  ])('isUrgent(%j) = %s', (e, expected) => expect(isUrgent(e)).toBe(expected));

  it('healthReport: stale after staleAfterMs', () => {
    const status = { lastSyncAt: '2026-01-01T00:00:00.000Z' } as Parameters<typeof healthReport>[0];
    expect(healthReport(status, 10_000, Date.parse('2026-01-01T00:00:09.000Z')).healthy).toBe(true);
    expect(healthReport(status, 10_000, Date.parse('2026-01-01T00:00:11.000Z')).healthy).toBe(false);
  });

  it.each([
    ['systemctl reload haproxy', ['systemctl', 'reload', 'haproxy']],
    ['  /usr/local/bin/reload-lb   --fast ', ['/usr/local/bin/reload-lb', '--fast']],
    ['["/opt/my tools/reload", "a b", "$(rm -rf /)"]', ['/opt/my tools/reload', 'a b', '$(rm -rf /)']],
    ['reload; rm -rf /', ['reload;', 'rm', '-rf', '/']],
  ])('parseReloadCommand(%j) → argv, no shell', (input, argv) => expect(parseReloadCommand(input)).toEqual(argv));

  it.each([['echo "quoted"'], ["it's"], ['a\\ b'], [''], ['[]'], ['["ok", 1]'], ['[not json']])('parseReloadCommand(%j) is refused', (input) => {
    expect(() => parseReloadCommand(input)).toThrow(/--reload-command/);
  });

  it.each([
    ['no connection in use', '# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]\nb/s1 3/1 127.0.0.1 46099 - 5000 0 2 2 0 2 -1 2 1 1\n', {}],
    [
      'two dumps (HAProxy 2.6.12), slots in use',
      '# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]\nbbm_web_10080/s1 3/1 127.0.0.1 40109 - 5000 2 2 2 2 0 -1 2 1 1\nbbm_web_10080/s2 3/2 0.0.0.0 0 - 5000 0 0 0 0 0 -1 0 0 0\nbbm_web_10080/s12 3/12 10.0.0.1 80 - 5000 1 1 1 0 0 -1 0 0 0\n\n# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]\nbbm_a_1/s3 4/3 10.0.0.2 80 - 5000 7 7 7 0 0 -1 0 0 0\nother/web1 5/1 10.0.0.3 80 - 5000 9 9 9 0 0 -1 0 0 0\n',
      { bbm_web_10080: [0, 11], bbm_a_1: [2] },
    ],
    ['an error instead of a dump', "Can't find backend.\n", {}],
  ])('parseBusySlots: %s', (_n, text, expected) => {
    const busy = parseBusySlots(text);
    expect(Object.fromEntries([...busy].map(([k, v]) => [k, [...v].sort((a, b) => a - b)]))).toEqual(expected);
  });

  it('parseShowProc reads the master CLI', () => {
    const text = '#<PID>          <type>          <reloads>       <uptime>        <version>\n22716           master          3 [failed: 1]   0d00h20m24s     2.6.12\n# workers\n15600           worker          0               0d00h00m01s     2.6.12\n# programs\n\n';
    expect(parseShowProc(text)).toEqual({ reloads: 3, failed: 1, workers: [15600] });
    expect(parseShowProc('garbage')).toBeUndefined();
  });
});
