/**
 * The HAProxy adapter against Debian's real HAProxy: `haproxy -c` on rendered configurations,
 * atomic install with a rejected file kept aside, a managed master-worker process routing to
 * local HTTP servers, runtime API slot updates and a seamless reload.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkConfig, cliCommand, installConfig, runtimeCommands } from '../../src/haproxy/adapter.js';
import { ManagedHaproxy } from '../../src/haproxy/managed.js';
import { planApply } from '../../src/haproxy/plan.js';
import { renderConfig, type Rendered } from '../../src/haproxy/render.js';
import { buildServices } from '../../src/haproxy/services.js';
import type { AppInfo } from '../../src/marathon/types.js';
import { memoryReporter } from '../../src/reporter.js';
import { app, task } from '../unit/discovery/fixtures.js';
import { components, describeWith } from '../support/integration.js';
import { freePort, until } from '../support/ports.js';

const d = await describeWith([components.haproxy]);

d('HAProxy adapter (real haproxy)', () => {
  let dir: string;
  const backends: Server[] = [];
  const backendPorts: number[] = [];
  let managed: ManagedHaproxy | undefined;
  const reporter = memoryReporter();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bbm-haproxy-'));
    for (let i = 0; i < 3; i++) {
      const server = createServer((_req, res) => res.end(`backend-${i}`));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      backends.push(server);
      backendPorts.push((server.address() as { port: number }).port);
    }
  });

  afterAll(async () => {
    await managed?.stop(2_000);
    for (const s of backends) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await rm(dir, { recursive: true, force: true });
  });

  const opts = () => ({ statsSocket: path.join(dir, 'stats.sock'), httpPort: 0, httpBind: '127.0.0.1' });
  function renderFor(apps: AppInfo[], previous?: Rendered, httpPort = 0) {
    const { services } = buildServices(apps, { bind: '127.0.0.1', resolve: () => undefined, reservedPorts: httpPort ? [httpPort] : [] });
    return renderConfig(services, { ...opts(), httpPort }, previous?.slots);
  }

  it('haproxy -c accepts every kind of rendered configuration, hostile labels included', async () => {
    const evil = 'x\n  server evil 6.6.6.6:66\n  bind :1';
    const apps = [
      app('/tcp', [20101], [task('/tcp', '127.0.0.1', [31000])]),
      app('/http', [20102], [task('/http', '127.0.0.1', [31001])], { labels: { HAPROXY_0_MODE: 'http', HAPROXY_0_BALANCE: 'leastconn' } }),
      app('/vhost/web', [20103], [], { labels: { HAPROXY_0_VHOST: 'web.example.com,www.example.com' } }),
      app('/v6', [20104], [task('/v6', '::1', [31002])], { labels: { HAPROXY_0_BIND_ADDR: '::1' } }),
      app('/evil', [20105], [task('/evil', evil, [31003])], { labels: { HAPROXY_GROUP: evil, HAPROXY_0_MODE: evil, HAPROXY_0_VHOST: evil, HAPROXY_0_BALANCE: evil } }),
    ];
    const file = path.join(dir, 'all.cfg');
    await writeFile(file, renderFor(apps, undefined, 20100).text);
    const result = await checkConfig(file);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('a configuration HAProxy rejects is kept aside and the installed one is untouched', async () => {
    const out = path.join(dir, 'haproxy.cfg');
    const good = renderFor([app('/a', [20201], [])]).text;
    expect(await installConfig(out, good)).toEqual({ status: 'installed' });
    expect(await installConfig(out, good)).toEqual({ status: 'unchanged' });
    const bad = `${good}\nbackend broken\n  balance no-such-algorithm\n`;
    const result = await installConfig(out, bad);
    expect(result.status).toBe('rejected');
    if (result.status !== 'rejected') return;
    expect(result.rejectedFile).toBe(`${out}.rejected`);
    expect(result.output).toMatch(/no-such-algorithm|balance/);
    expect(await readFile(out, 'utf8')).toBe(good);
    expect(await readFile(`${out}.rejected`, 'utf8')).toBe(bad);
  });

  it('runs HAProxy in master-worker mode, applies task changes through the runtime API and reloads seamlessly', async () => {
    const servicePort = await freePort();
    const out = path.join(dir, 'managed.cfg');
    const url = `http://127.0.0.1:${servicePort}/`;
    const get = async () => {
      const res = await fetch(url);
      return res.status === 200 ? res.text() : `status ${res.status}`;
    };
    const tasks = backendPorts.map((p) => task('/m', '127.0.0.1', [p]));
    const labels = { HAPROXY_0_MODE: 'http' };
    let current = renderFor([app('/m', [servicePort], [tasks[0]!], { labels })]);
    expect((await installConfig(out, current.text)).status).toBe('installed');
    managed = await ManagedHaproxy.start({ haproxyBin: 'haproxy', configFile: out, masterSocket: path.join(dir, 'master.sock'), reporter });
    await until('HAProxy routes to backend-0', async () => (await get()) === 'backend-0', 30_000);

    // Replace task 0 by tasks 1 and 2: slot changes only → runtime API, no reload.
    const next = renderFor([app('/m', [servicePort], [tasks[1]!, tasks[2]!], { labels })], current);
    const plan = planApply(current, next);
    expect(plan.kind).toBe('runtime');
    if (plan.kind !== 'runtime') return;
    const before = await managed.state();
    await runtimeCommands(opts().statsSocket, plan.commands);
    await installConfig(out, next.text);
    current = next;
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(await get());
    expect([...seen].sort()).toEqual(['backend-1', 'backend-2']);
    expect((await managed.state()).reloads).toBe(before.reloads);

    // A new service port needs a reload; it must not refuse a connection on the old one.
    const secondPort = await freePort();
    const grown = renderFor([app('/m', [servicePort], [tasks[1]!, tasks[2]!], { labels }), app('/n', [secondPort], [tasks[0]!], { labels })], current);
    expect(planApply(current, grown).kind).toBe('reload');
    expect((await installConfig(out, grown.text)).status).toBe('installed');
    let failures = 0;
    let done = 0;
    let stop = false;
    const load = (async () => {
      while (!stop || done < 50) {
        try {
          const body = await get();
          if (!body.startsWith('backend-')) failures++;
        } catch {
          failures++;
        }
        done++;
        if (done > 5000) break;
      }
    })();
    await managed.reload();
    await until('the new service port answers', async () => (await fetch(`http://127.0.0.1:${secondPort}/`).then((r) => r.text())) === 'backend-0', 30_000);
    stop = true;
    await load;
    expect(done).toBeGreaterThanOrEqual(50);
    expect(failures).toBe(0);
    expect((await managed.state()).reloads).toBe(before.reloads + 1);

    // The stats socket of the new worker answers.
    expect(await cliCommand(opts().statsSocket, 'show servers state bbm_n_' + secondPort)).toMatch(/bbm_n_\d+ 1 s1 127\.0\.0\.1 2/);
  });

  it('runtimeCommands batches many commands and reports what HAProxy refuses', async () => {
    const backend = (await cliCommand(opts().statsSocket, 'show backend')).split('\n').find((l) => l.startsWith('bbm_n_'))!.trim();
    const toggles = Array.from({ length: 151 }, (_, i) => `set server ${backend}/s2 state ${i % 2 === 0 ? 'maint' : 'ready'}`);
    await runtimeCommands(opts().statsSocket, toggles);
    const s2 = (await cliCommand(opts().statsSocket, `show servers state ${backend}`)).split('\n').find((l) => / s2 /.test(l))!.split(' ');
    expect(Number(s2[6]) & 1).toBe(1); // the last command (maint) won
    await expect(runtimeCommands(opts().statsSocket, [`set server ${backend}/s2 state ready`, 'set server no_such_backend/s1 state ready'])).rejects.toThrow(/refused 1 runtime command/);
  });
});
