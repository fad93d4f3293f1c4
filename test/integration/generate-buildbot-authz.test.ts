/**
 * What a visitor of a generated master's web server may do, on a real Buildbot master: control
 * actions no rule names are admin-only (deny by default), webhooks refuse a wrong or missing
 * secret, and the poller hook is off unless the config turns it on. One master, no worker (the
 * forced build request stays pending, so it can be cancelled).
 */
import { createHmac } from 'node:crypto';
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
const GITHUB_SECRET = `gh-${stamp}`;
const GITLAB_SECRET = `gl-${stamp}`;

d('a generated master refuses what is not granted (real Buildbot master)', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let www: string;
  let api: string;
  const cookies: Record<string, string> = {};

  const get = async <T>(p: string): Promise<T> => (await (await fetch(`${api}${p}`)).json()) as T;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-authz-'));
    const [wwwPort, pbPort] = [await freePort(), await freePort()];
    www = `http://127.0.0.1:${wwwPort}/`;
    api = `${www}api/v2`;
    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    chmodSync(secrets, 0o700);
    for (const [name, value] of [['worker-w1', `wp-${stamp}`], ['github-webhook', GITHUB_SECRET], ['gitlab-webhook', GITLAB_SECRET]] as const)
      writeFileSync(path.join(secrets, name), value, { mode: 0o600 });
    writeFileSync(path.join(root, 'htpasswd'), `admin:${PASSWORDS.admin}\ndev:${PASSWORDS.dev}\n`, { mode: 0o600 });
    const config = resolveConfig({
      registry: '127.0.0.1:9',
      marathon: { url: 'http://127.0.0.1:9/' },
      buildbot: {
        url: www,
        version: '3.7',
        workers: [{ name: 'w1' }],
        www: { port: wwwPort, auth: { htpasswd: path.join(root, 'htpasswd') }, roles: { admins: ['admin'], devs: ['dev'] }, allow: { force: ['admins', 'devs'] } },
        workerPort: pbPort,
        secretsDir: secrets,
      },
      changeSources: { pollInterval: 60, github: { secret: 'github-webhook' }, gitlab: { secret: 'gitlab-webhook' } },
      projects: [
        { name: 'app', repo: 'https://github.com/example/app.git', type: 'docker', webhook: 'github' },
        { name: 'lib', repo: 'https://gitlab.example.com/example/lib.git', type: 'docker', webhook: 'gitlab' },
      ],
    });
    const cfg = renderConfig(config, 'ci.config.ts');
    for (const s of [GITHUB_SECRET, GITLAB_SECRET, ...Object.values(PASSWORDS)]) expect(cfg).not.toContain(s);
    master = await startMaster(root, cfg, www);
    cookies.admin = await login(www, 'admin', PASSWORDS.admin);
    cookies.dev = await login(www, 'dev', PASSWORDS.dev);
    cookies.anonymous = '';
  }, 180_000);

  afterAll(async () => {
    await stop(master);
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('control actions no rule names (cancel, worker pause/kill, scheduler enable) are refused to anonymous and non-admin users, allowed to admins', async () => {
    const builderid = (await get<{ builders: { builderid: number }[] }>('/builders?name=app')).builders[0]!.builderid;
    // A non-admin with the force role may force; with no worker the request stays pending.
    const forced = await control(api, 'forceschedulers/force', 'force', { builderid: String(builderid), reason: 'authz', branch: 'master', revision: '', project: '', repository: '', deploy: false }, cookies.dev);
    expect(forced.status, forced.body).toBe(200);
    const brid = (JSON.parse(forced.body) as { result: [number, Record<string, number>] }).result[1][String(builderid)]!;
    const workerid = (await get<{ workers: { workerid: number }[] }>('/workers?name=w1')).workers[0]!.workerid;
    const schedulerid = (await get<{ schedulers: { schedulerid: number; name: string }[] }>('/schedulers')).schedulers.find((s) => s.name === 'on-change')!.schedulerid;

    const actions: [string, string, Record<string, unknown>][] = [
      [`buildrequests/${brid}`, 'cancel', { reason: 'no' }],
      [`workers/${workerid}`, 'pause', { reason: 'no' }],
      [`workers/${workerid}`, 'kill', { reason: 'no' }],
      [`schedulers/${schedulerid}`, 'enable', { enabled: false }],
    ];
    for (const who of ['anonymous', 'dev'] as const) {
      for (const [endpoint, method, params] of actions) {
        const r = await control(api, endpoint, method, params, cookies[who]);
        expect(r.status, `${who} ${method} ${endpoint}: ${r.body}`).toBe(403);
        expect(r.body).toContain("you need to have role 'admins'");
      }
    }
    // Nothing happened: the request is still pending, the scheduler enabled.
    expect((await get<{ buildrequests: { complete: boolean }[] }>(`/buildrequests/${brid}`)).buildrequests[0]!.complete).toBe(false);
    expect((await get<{ schedulers: { enabled: boolean }[] }>(`/schedulers/${schedulerid}`)).schedulers[0]!.enabled).toBe(true);

    for (const [endpoint, method, params] of actions) {
      const r = await control(api, endpoint, method, params, cookies.admin);
      expect(r.status, `admin ${method} ${endpoint}: ${r.body}`).toBe(200);
    }
    expect((await get<{ buildrequests: { complete: boolean }[] }>(`/buildrequests/${brid}`)).buildrequests[0]!.complete).toBe(true);
    expect((await get<{ schedulers: { enabled: boolean }[] }>(`/schedulers/${schedulerid}`)).schedulers[0]!.enabled).toBe(false);
    await control(api, `schedulers/${schedulerid}`, 'enable', { enabled: true }, cookies.admin);
  }, 120_000);

  it('webhooks refuse a wrong or missing secret (GitHub and GitLab); the poller hook is off', async () => {
    const changes = async () => (await get<{ changes: unknown[] }>('/changes')).changes.length;
    const before = await changes();
    const ghBody = JSON.stringify({ zen: 'ping', hook_id: 1, repository: { html_url: 'https://github.com/example/app', full_name: 'example/app', name: 'app' } });
    const github = (signature: string | null) =>
      fetch(`${www}change_hook/github`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'ping', ...(signature === null ? {} : { 'X-Hub-Signature': signature }) },
        body: ghBody,
      });
    const sign = (secret: string) => `sha1=${createHmac('sha1', secret).update(ghBody).digest('hex')}`;
    expect((await github(sign('wrong'))).status).toBe(400);
    expect((await github(null)).status).toBe(400);
    expect((await github(sign(GITHUB_SECRET))).status).toBe(200);

    const after = 'b'.repeat(40);
    const glBody = JSON.stringify({
      object_kind: 'push', before: 'a'.repeat(40), after, ref: 'refs/heads/master', user_name: 'u', user_email: 'u@example.com',
      project: { name: 'lib', path_with_namespace: 'example/lib', git_http_url: 'https://gitlab.example.com/example/lib.git', web_url: 'https://gitlab.example.com/example/lib' },
      repository: { name: 'lib', url: 'https://gitlab.example.com/example/lib.git', homepage: 'https://gitlab.example.com/example/lib', git_http_url: 'https://gitlab.example.com/example/lib.git' },
      commits: [{ id: after, message: 'm', timestamp: '2026-12-01T10:00:00+00:00', url: 'https://gitlab.example.com/example/lib/-/commit/x', author: { name: 'u', email: 'u@example.com' }, added: [], modified: ['x'], removed: [] }],
      total_commits_count: 1,
    });
    const gitlab = (token: string | null) =>
      fetch(`${www}change_hook/gitlab`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': 'Push Hook', ...(token === null ? {} : { 'X-Gitlab-Token': token }) },
        body: glBody,
      });
    expect((await gitlab('wrong')).status).toBe(400);
    expect((await gitlab(null)).status).toBe(400);
    expect(await changes()).toBe(before);
    expect((await gitlab(GITLAB_SECRET)).status).toBe(200);
    expect(await changes()).toBe(before + 1);

    expect((await fetch(`${www}change_hook/poller`, { method: 'POST' })).status).toBe(400);
    // Both repositories report through their webhook, so neither is polled as well.
    expect((await get<{ changesources: unknown[] }>('/changesources')).changesources).toEqual([]);
  }, 60_000);
});
