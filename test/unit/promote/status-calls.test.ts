/**
 * `bbm status --project` and `bbm promote` through the real CLI against two local stand-in
 * Marathons and a stand-in registry (no containers): one Marathon call per environment, an
 * environment that cannot be reached is reported while the other is still shown, and a promotion
 * whose image is gone from the registry is refused (exit 1) before the target is touched.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../support/run-cli.js';
import { sendJson, startTestServer, type TestServer } from '../../support/http-server.js';

const V = '2026-12-01T20:00:00.000Z';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const app = (id: string, build: string) => ({
  id,
  version: V,
  versionInfo: { lastConfigChangeAt: V, lastScalingAt: V },
  instances: 1,
  container: { type: 'DOCKER', docker: { image: `127.0.0.1:5000/hello@${DIGEST}` } },
  healthChecks: [{ protocol: 'MESOS_HTTP' }],
  labels: { 'bbm.build-number': build, 'bbm.environment': id.startsWith('/staging') ? 'staging' : 'production' },
  deployments: [],
  tasks: [{ id: 't1', appId: id, host: 'h1', ports: [31001], state: 'TASK_RUNNING', version: V, healthCheckResults: [{ alive: true }] }],
});

let staging: TestServer;
let production: TestServer;
let dir: string;
const serveStaging = () =>
  staging.handle((req, res) => (req.url.startsWith('/v2/apps/staging/hello') ? sendJson(res, 200, { app: app('/staging/hello', '5') }) : sendJson(res, 404, { message: 'no' })));

beforeAll(async () => {
  [staging, production] = await Promise.all([startTestServer(), startTestServer()]);
  serveStaging();
  production.handle((req, res) => (req.url.startsWith('/v2/apps/hello') ? sendJson(res, 200, { app: app('/hello', '4') }) : sendJson(res, 404, { message: 'no' })));
  dir = mkdtempSync(path.join(tmpdir(), 'bbm-status-calls-'));
  const config = (prodUrl: string) => ({
    registry: '127.0.0.1:5000',
    environments: { staging: { url: staging.url, appIdPrefix: '/staging' }, production: { url: prodUrl } },
    buildbot: { url: 'http://127.0.0.1:8010/', workers: [{ name: 'w' }] },
    projects: [{ name: 'hello', repo: 'r', type: 'docker', deploy: { environments: { staging: { branches: ['master'] }, production: { promoteFrom: 'staging' } } } }],
  });
  writeFileSync(path.join(dir, 'ci.config.json'), JSON.stringify(config(production.url)));
  writeFileSync(path.join(dir, 'down.config.json'), JSON.stringify(config('http://127.0.0.1:9/')));
});
afterAll(async () => {
  await Promise.all([staging?.close(), production?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('asks each environment’s Marathon once and shows both', async () => {
  const r = await runCli(['status', '--project', 'hello', '--json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  const rows = (JSON.parse(r.stdout) as { environments: { environment: string; build: string; digest: string; healthy: number; instances: number }[] }).environments;
  expect(rows.map((e) => [e.environment, e.build, e.digest, e.healthy, e.instances])).toEqual([['staging', '5', DIGEST, 1, 1], ['production', '4', DIGEST, 1, 1]]);
  expect(staging.requests.map((q) => `${q.method} ${q.url.split('?')[0]}`)).toEqual(['GET /v2/apps/staging/hello']);
  expect(production.requests.map((q) => `${q.method} ${q.url.split('?')[0]}`)).toEqual(['GET /v2/apps/hello']);
});

it('a promotion whose image is gone from the registry is refused with exit 1, and the target is not touched', async () => {
  const registry = await startTestServer();
  try {
    registry.handle((_req, res) => sendJson(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] }));
    const host = new URL(registry.url).host;
    staging.handle((req, res) => {
      const a = app('/staging/hello', '5');
      a.container.docker.image = `${host}/hello:b5`;
      return req.url.startsWith('/v2/apps/staging/hello') ? sendJson(res, 200, { app: a }) : sendJson(res, 404, { message: 'no' });
    });
    production.requests.length = 0;
    const r = await runCli(['promote', '--project', 'hello', '--to', 'production', '--timeout', '20'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${host}/hello:b5 is gone from the registry`));
    expect(registry.requests.map((q) => `${q.method} ${q.url}`)).toContain('HEAD /v2/hello/manifests/b5');
    expect(production.requests).toEqual([]);
  } finally {
    serveStaging();
    await registry.close();
  }
});

it('an unreachable environment is reported; the other is still shown', async () => {
  staging.requests.length = 0;
  const r = await runCli(['status', '--project', 'hello', '--json', '--config', 'down.config.json', '--timeout', '5'], { cwd: dir, timeoutMs: 60_000 });
  const rows = (JSON.parse(r.stdout) as { environments: { environment: string; build: string | null; error: string | null }[] }).environments;
  expect(rows[0]).toMatchObject({ environment: 'staging', build: '5', error: null });
  expect(rows[1]?.environment).toBe('production');
  expect(rows[1]?.error).toBeTruthy();
  expect(staging.requests).toHaveLength(1);
});

it('--allow-unverified without --build is exit 2, before any Marathon is asked', async () => {
  const before = staging.requests.length + production.requests.length;
  const r = await runCli(['promote', '--project', 'hello', '--to', 'production', '--allow-unverified'], { cwd: dir });
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/--allow-unverified applies to --build N only/);
  expect(staging.requests.length + production.requests.length).toBe(before);
});
