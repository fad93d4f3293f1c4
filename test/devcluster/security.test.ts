/**
 * Nothing reaches into bbm devcluster from a web page: bodies only as JSON (415), foreign Origin
 * (403), a Host that is not the engine's (DNS rebinding, refused), privileged definitions (422
 * naming the field unless --allow-privileged), HTTP basic auth from --auth-file (as Marathon's
 * --http_credentials, mesosphere/marathon src/main/scala/mesosphere/marathon/HttpConf.scala), and
 * a non-loopback --host only with it. The real CLI, a real Docker engine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestDevcluster } from '../support/devcluster.js';
import { startTestDevcluster } from '../support/devcluster.js';
import { components, describeWith } from '../support/integration.js';
import { call } from './client.js';

const d = await describeWith([components.docker]);
const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');

/** A raw request (fetch cannot set Host). */
function raw(base: string, method: string, p: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: p, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

const plainApp = JSON.stringify({ cmd: 'sleep 100', instances: 0 });

d('bbm devcluster refuses what a web page or a hostile definition would send', () => {
  let dc: TestDevcluster;
  let open: TestDevcluster;
  let locked: TestDevcluster;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bbm-dc-sec-'));
  const authFile = path.join(dir, 'auth');
  writeFileSync(authFile, 'admin:s3cret-pw\n');
  beforeAll(async () => {
    [dc, open, locked] = await Promise.all([
      startTestDevcluster({ args: ['--pull', 'never'] }),
      startTestDevcluster({ args: ['--pull', 'never', '--allow-privileged'] }),
      startTestDevcluster({ args: ['--pull', 'never', '--auth-file', authFile] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([dc?.destroy(), open?.destroy(), locked?.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes bodies only as application/json (415), so a cross-site form or text/plain POST creates nothing', async () => {
    const port = new URL(dc.url).port;
    const host = `127.0.0.1:${port}`;
    const text = await raw(dc.url, 'POST', '/v2/apps', { host, 'content-type': 'text/plain' }, JSON.stringify({ id: '/evil', cmd: 'id', instances: 0 }));
    expect(text.status).toBe(415);
    expect(JSON.parse(text.text).message).toMatch(/application\/json/);
    const untyped = await raw(dc.url, 'PUT', '/v2/apps/evil', { host }, plainApp);
    expect(untyped.status).toBe(415);
    const form = await raw(dc.url, 'PUT', '/v2/apps/evil', { host, 'content-type': 'application/x-www-form-urlencoded' }, 'a=b');
    expect(form.status).toBe(415);
    expect((await call(dc.url, 'GET', '/v2/apps/evil')).status).toBe(404);
    const json = await raw(dc.url, 'PUT', '/v2/apps/fine', { host, 'content-type': 'application/json; charset=utf-8' }, plainApp);
    expect(json.status).toBe(201);
  });

  it('refuses a foreign Origin (403) and a Host that is not its own (DNS rebinding)', async () => {
    const port = new URL(dc.url).port;
    const evilOrigin = await raw(dc.url, 'PUT', '/v2/apps/evil', { host: `127.0.0.1:${port}`, origin: 'http://attacker.example', 'content-type': 'application/json' }, plainApp);
    expect(evilOrigin.status).toBe(403);
    expect(JSON.parse(evilOrigin.text).message).toMatch(/Origin "http:\/\/attacker\.example" is not allowed/);
    const rebinding = await raw(dc.url, 'GET', '/v2/apps', { host: `attacker.example:${port}` });
    expect(rebinding.status).toBe(403);
    expect(JSON.parse(rebinding.text).message).toMatch(/does not name this engine/);
    const rebindingWrite = await raw(dc.url, 'PUT', '/v2/apps/evil', { host: `rebind.attacker.example:${port}`, 'content-type': 'application/json' }, plainApp);
    expect(rebindingWrite.status).toBe(403);
    expect((await call(dc.url, 'GET', '/v2/apps/evil')).status).toBe(404);
    // its own names and origin pass
    expect((await raw(dc.url, 'GET', '/v2/apps', { host: `localhost:${port}` })).status).toBe(200);
    expect((await raw(dc.url, 'GET', '/v2/apps', { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` })).status).toBe(200);
  });

  it('refuses privileged containers, host-path volumes and widening docker parameters with 422 naming the field', async () => {
    const base = { cmd: 'sleep 100', instances: 0, container: { type: 'DOCKER', docker: { image: 'bbm-test/busybox:latest' } as Record<string, unknown>, volumes: [] as unknown[] } };
    const cases: [string, unknown, string][] = [
      ['privileged', { ...base, container: { ...base.container, docker: { ...base.container.docker, privileged: true } } }, '/container/docker/privileged'],
      ['host volume', { ...base, container: { ...base.container, volumes: [{ containerPath: '/host', hostPath: '/', mode: 'RW' }] } }, '/container/volumes(0)/hostPath'],
      ['cap-add', { ...base, container: { ...base.container, docker: { ...base.container.docker, parameters: [{ key: 'label', value: 'x=y' }, { key: 'cap-add', value: 'SYS_ADMIN' }] } } }, '/container/docker/parameters(1)/key'],
      ['pid host', { ...base, container: { ...base.container, docker: { ...base.container.docker, parameters: [{ key: 'pid', value: 'host' }] } } }, '/container/docker/parameters(0)/key'],
    ];
    for (const [what, body, where] of cases) {
      const r = await call(dc.url, 'PUT', `/v2/apps/priv-${what.replace(/ /g, '-')}`, body);
      expect(r.status, what).toBe(422);
      expect(r.json.details.map((x: { path: string }) => x.path), what).toContain(where);
      expect(JSON.stringify(r.json), what).toMatch(/--allow-privileged/);
      expect((await call(dc.url, 'GET', `/v2/apps/priv-${what.replace(/ /g, '-')}`)).status).toBe(404);
      // an engine started with --allow-privileged accepts it
      const allowed = await call(open.url, 'PUT', `/v2/apps/priv-${what.replace(/ /g, '-')}`, body);
      expect(allowed.status, what).toBe(201);
    }
  });

  it('asks for HTTP basic credentials from --auth-file on every path, /ping included', async () => {
    const ping = await call(locked.url, 'GET', '/ping');
    expect(ping.status).toBe(401);
    expect(ping.headers.get('www-authenticate')).toBe('Basic realm="Mesosphere"');
    expect((await call(locked.url, 'GET', '/v2/apps', undefined, { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` })).status).toBe(401);
    const ok = await call(locked.url, 'GET', '/v2/apps', undefined, { authorization: `Basic ${Buffer.from('admin:s3cret-pw').toString('base64')}` });
    expect(ok.status).toBe(200);
    expect(locked.log()).not.toContain('s3cret-pw');
  });

  it('will not listen beyond loopback without --auth-file (exit 2); an unreadable --auth-file is exit 2', () => {
    const r = spawnSync(process.execPath, [cli, 'devcluster', '--host', '0.0.0.0', '--port', '0', '--state-dir', path.join(dir, 'state')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--host 0\.0\.0\.0 is not a loopback address/);
    expect(r.stderr).toMatch(/--auth-file/);
    const bad = spawnSync(process.execPath, [cli, 'devcluster', '--port', '0', '--state-dir', path.join(dir, 'state'), '--auth-file', path.join(dir, 'missing')], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/cannot read --auth-file/);
  });
});
