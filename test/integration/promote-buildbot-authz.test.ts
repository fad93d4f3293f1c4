/**
 * The generated promote and rollback builders on a real Buildbot master: discoverable by their tags
 * and force schedulers, forced over REST (the UI's JSON-RPC call) by the configured role only — a
 * non-admin who may force ordinary builds is refused by the master. One master, no worker (the
 * forced build request stays pending, carrying the chosen environment).
 */
import { type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { control, freePort, login, startMaster, stop } from '../support/buildbot.js';
import { components, describeWith } from '../support/integration.js';

const d = await describeWith([components.buildbot]);
const stamp = `${process.pid}-${Date.now()}`;
const PASSWORDS = { admin: `adm-${stamp}`, dev: `dev-${stamp}` };

d('promote and rollback builders on a real Buildbot master', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let www: string;
  let api: string;
  const cookies: Record<string, string> = {};
  const get = async <T>(p: string, cookie = ''): Promise<T> => (await (await fetch(`${api}${p}`, { headers: cookie ? { Cookie: cookie } : {} })).json()) as T;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-promote-authz-'));
    const [wwwPort, pbPort] = [await freePort(), await freePort()];
    www = `http://127.0.0.1:${wwwPort}/`;
    api = `${www}api/v2`;
    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    chmodSync(secrets, 0o700);
    for (const [name, value] of [['worker-w1', `wp-${stamp}`], ['prod-token', `tok-${stamp}`]] as const) writeFileSync(path.join(secrets, name), value, { mode: 0o600 });
    writeFileSync(path.join(root, 'htpasswd'), `admin:${PASSWORDS.admin}\ndev:${PASSWORDS.dev}\n`, { mode: 0o600 });
    const config = resolveConfig({
      registry: '127.0.0.1:9',
      environments: { staging: { url: 'http://127.0.0.1:9/', appIdPrefix: '/staging' }, production: { url: 'http://127.0.0.2:9/', tokenSecret: 'prod-token' } },
      buildbot: {
        url: www,
        version: '3.7',
        workers: [{ name: 'w1' }],
        www: { port: wwwPort, auth: { htpasswd: path.join(root, 'htpasswd') }, roles: { admins: ['admin'], devs: ['dev'] }, allow: { force: ['admins', 'devs'] } },
        workerPort: pbPort,
        secretsDir: secrets,
      },
      changeSources: { pollInterval: 0 },
      projects: [{ name: 'hello', repo: 'https://git.example.com/hello.git', type: 'docker', deploy: { environments: { staging: { branches: ['master'] }, production: { promoteFrom: 'staging' } } } }],
    });
    const cfg = renderConfig(config, 'ci.config.ts');
    expect(cfg).not.toContain(`tok-${stamp}`);
    master = await startMaster(root, cfg, www);
    cookies.admin = await login(www, 'admin', PASSWORDS.admin);
    cookies.dev = await login(www, 'dev', PASSWORDS.dev);
  }, 180_000);

  afterAll(async () => {
    await stop(master);
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('the builders carry their tags and their force forms offer the target environment', async () => {
    const builders = (await get<{ builders: { name: string; tags: string[] }[] }>('/builders')).builders;
    expect(builders.find((b) => b.name === 'hello-promote')?.tags).toEqual(['promote', 'project:hello']);
    expect(builders.find((b) => b.name === 'hello-rollback')?.tags).toEqual(['rollback', 'project:hello']);
    const scheds = (await get<{ forceschedulers: { name: string; builder_names: string[]; all_fields: unknown[] }[] }>('/forceschedulers', cookies.admin)).forceschedulers;
    const promote = scheds.find((s) => s.name === 'promote-hello');
    expect(promote?.builder_names).toEqual(['hello-promote']);
    const fields = JSON.stringify(promote?.all_fields);
    expect(fields).toContain('"name":"environment"');
    expect(fields).toContain('"choices":["production"]');
    expect(fields).toContain('"name":"source_build"');
    expect(scheds.find((s) => s.name === 'rollback-hello')?.builder_names).toEqual(['hello-rollback']);
  });

  it('a non-admin who may force builds is refused the promotion by the master; an admin gets a build request for production', async () => {
    const id = async (name: string) => (await get<{ builders: { builderid: number }[] }>(`/builders?name=${name}`)).builders[0]!.builderid;
    const params = { builderid: String(await id('hello-promote')), reason: 'release', environment: 'production', source_build: '' };
    const refused = await control(api, 'forceschedulers/promote-hello', 'force', params, cookies.dev);
    expect(refused.status, refused.body).toBe(403);
    const anonymous = await control(api, 'forceschedulers/promote-hello', 'force', params);
    expect(anonymous.status, anonymous.body).toBe(403);
    const rollbackRefused = await control(api, 'forceschedulers/rollback-hello', 'force', { builderid: String(await id('hello-rollback')), reason: 'x', environment: 'production' }, cookies.dev);
    expect(rollbackRefused.status, rollbackRefused.body).toBe(403);
    // the same user may still force the project's ordinary build
    const ordinary = await control(api, 'forceschedulers/force', 'force', { builderid: String(await id('hello')), reason: 'x', branch: 'master', revision: '', project: '', repository: '', deploy: false }, cookies.dev);
    expect(ordinary.status, ordinary.body).toBe(200);
    const allowed = await control(api, 'forceschedulers/promote-hello', 'force', params, cookies.admin);
    expect(allowed.status, allowed.body).toBe(200);
    const bsid = (JSON.parse(allowed.body) as { result: [number, Record<string, number>] }).result[0];
    const props = await get<{ properties: Record<string, [unknown, string]>[] }>(`/buildsets/${bsid}/properties`, cookies.admin);
    expect(props.properties[0]?.environment?.[0]).toBe('production');
  });
});
