/**
 * One app can never freeze routing for all (real HAProxy): many virtual hosts are split over acl
 * lines HAProxy accepts, and when HAProxy refuses a configuration anyway the bridge leaves out the
 * app(s) to blame, names them, and installs the rest.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Bridge } from '../../src/discovery/bridge.js';
import { OperationFailedError } from '../../src/errors.js';
import { checkConfig, checkText, installConfig } from '../../src/haproxy/adapter.js';
import { renderConfig } from '../../src/haproxy/render.js';
import { buildServices } from '../../src/haproxy/services.js';
import type { AppInfo } from '../../src/marathon/types.js';
import { memoryReporter } from '../../src/reporter.js';
import { app, task } from '../unit/discovery/fixtures.js';
import { components, describeWith } from '../support/integration.js';

const d = await describeWith([components.haproxy]);

const hosts = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}.example.com`);
const vhostApp = (id: string, port: number, vhosts: string[]): AppInfo =>
  app(id, [port], [task(id, '127.0.0.1', [31000 + (port % 1000)])], { labels: { HAPROXY_0_VHOST: vhosts.join(',') } });

d('HAProxy refusals (real haproxy)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bbm-haproxy-refusals-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const render = (apps: AppInfo[], vhostsPerAclLine?: number) =>
    renderConfig(buildServices(apps, { bind: '127.0.0.1', resolve: () => undefined }).services, {
      statsSocket: path.join(dir, 's.sock'),
      httpPort: 18080,
      httpBind: '127.0.0.1',
      ...(vhostsPerAclLine ? { vhostsPerAclLine } : {}),
    }).text;

  it('an app with 300 virtual hosts is accepted; on one acl line HAProxy refuses it (its word limit)', async () => {
    const apps = [vhostApp('/many', 10100, hosts('m', 300))];
    expect((await checkText(render(apps), path.join(dir, 'a.cfg'))).ok).toBe(true);
    const oneLine = await checkText(render(apps, 1000), path.join(dir, 'a.cfg'));
    expect(oneLine.ok).toBe(false);
    expect(oneLine.output).toMatch(/too many words|line too long/i);
  });

  it('the bridge leaves out the refused app, names it, and routes the others', async () => {
    const out = path.join(dir, 'haproxy.cfg');
    const reporter = memoryReporter();
    // 70 hosts on one line (the limit raised back) recreates a real refusal for /big only.
    const apps = [vhostApp('/big', 10200, hosts('b', 70)), vhostApp('/small', 10201, hosts('s', 3)), app('/tcp', [10202], [task('/tcp', '127.0.0.1', [31555])])];
    const bridge = new Bridge(
      {
        reporter,
        getApps: async () => structuredClone(apps),
        events: () => (async function* () {})(),
        haproxy: { install: (text, o) => installConfig(out, text, 'haproxy', o), check: (text) => checkText(text, out) },
      },
      { bind: '127.0.0.1', render: { statsSocket: path.join(dir, 's.sock'), httpPort: 18080, httpBind: '127.0.0.1', vhostsPerAclLine: 1000 } },
    );
    const result = await bridge.syncOnce('test');
    expect(result.install.status).toBe('installed');
    const installed = await readFile(out, 'utf8');
    expect(installed).not.toMatch(/# \/big /);
    expect(installed).toMatch(/# \/small service port 10201/);
    expect(installed).toMatch(/# \/tcp service port 10202/);
    expect((await checkConfig(out)).ok).toBe(true);
    expect(reporter.lines.join('\n')).toMatch(/\/big: left out of HAProxy's configuration: HAProxy refuses its part \(.*(too many words|line too long)/i);
    expect(reporter.lines.join('\n')).not.toMatch(/\/small: left out|\/tcp: left out/);
  });

  it('a refusal no app explains is an operation failure (never an internal error), the installed file untouched', async () => {
    const out = path.join(dir, 'broken.cfg');
    const reporter = memoryReporter();
    const apps = [vhostApp('/ok', 10300, hosts('o', 2))];
    const bridge = new Bridge(
      {
        reporter,
        getApps: async () => structuredClone(apps),
        events: () => (async function* () {})(),
        haproxy: { install: (text, o) => installConfig(out, text, 'haproxy', o), check: (text) => checkText(text, out) },
      },
      // A negative hard-stop-after breaks the skeleton itself, whatever the apps.
      { bind: '127.0.0.1', render: { statsSocket: path.join(dir, 's.sock'), httpPort: 18080, httpBind: '127.0.0.1', hardStopAfter: -5 } },
    );
    const error = await bridge.syncOnce('test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationFailedError);
    expect((error as Error).message).toMatch(/HAProxy rejected the new configuration .*it refuses even a configuration without any app/);
    await expect(readFile(out, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
