/**
 * The deploy/rollback/status commands through the real CLI against a local fake Marathon
 * (no containers): dry runs send nothing, bad input exits 2 before any request, Marathon's
 * 422/401 answers are explained, and no secret ever shows up in the output.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/run-cli.js';
import { sendJson, startTestServer, type TestServer } from '../../support/http-server.js';
import { sharedText } from '../../support/shared.js';
import { appDefinitionErrors } from '../../support/schema.js';
import { components, describeWith } from '../../support/integration.js';

/** Suites that check against Marathon's reference data (schema, recorded bodies): skipped with a message without it, failing in CI. */
const withReference = await describeWith([components.reference]);

const dir = mkdtempSync(path.join(tmpdir(), 'bbm-cli-deploy-'));
const file = (name: string, content: unknown) => {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return p;
};
const good = {
  id: '/web',
  cmd: 'exec httpd -f -p $PORT0',
  instances: 1,
  container: { type: 'DOCKER', docker: { image: '${image}' } },
  portDefinitions: [{ port: 0 }],
  healthChecks: [{ protocol: 'MESOS_HTTP', portIndex: 0, gracePeriodSeconds: 60 }],
  taskKillGracePeriodSeconds: 5,
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle((_req, res) => sendJson(res, 500, { message: 'unexpected request' }));
});

withReference('bbm deploy (CLI, fake Marathon) with the reference data', () => {
  it('--dry-run prints a definition valid for Marathon’s AppDefinition schema', async () => {
    const r = await runCli(['deploy', '--dry-run', '--app', file('good-schema.json', good), '--image', '127.0.0.1:5000/web:web-3-main-1.0', '--marathon', server.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(appDefinitionErrors(JSON.parse(r.stdout))).toEqual([]);
  });

  it('the seed app: exit 2 before any request, every lint finding with its line', async () => {
    const seed = sharedText('seed', 'CI-EXAMPLE.md');
    const text = seed.slice(seed.indexOf('{\n    "constraints"'), seed.indexOf('> curl -X PUT')).replace('"type": "DOCKER",\n    }', '"type": "DOCKER"\n    }');
    const r = await runCli(['deploy', '--app', file('seed.json', text), '--image', 'registry.example.com/webapp:webApp-123-master-0.5.20-12-gf5615cf', '--marathon', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: \S*seed\.json:\d+ \/id: "webApp" is not a valid Marathon app id/);
    expect(r.stderr).toMatch(/fix: use "id": "\/webapp"/);
    expect(r.stderr.match(/^warning: \S*seed\.json:\d+ /gm)?.length).toBe(12);
    expect(server.requests).toHaveLength(0);
  });

  it('422 from Marathon: exit 2 with every details path', async () => {
    server.handle((req, res) => {
      if (req.url.startsWith('/v2/events')) return sendJson(res, 405, '<html>no</html>');
      // the app is not there yet (bbm reads it before sending, to record what it replaces)
      if (req.method === 'GET') return sendJson(res, 404, sharedText('marathon', 'examples', 'error-404-app-not-found.json'));
      sendJson(res, 422, sharedText('marathon', 'examples', 'error-422-validation.json'));
    });
    const r = await runCli(['deploy', '--app', file('good2.json', good), '--image', 'web:1', '--marathon', server.url, '--timeout', '20']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/event stream unavailable/);
    expect(r.stderr).toContain('/upgradeStrategy/minimumHealthCapacity: is greater than 1');
    expect(server.requests.filter((x) => x.method === 'PUT')).toHaveLength(1);
  });
});

describe('bbm deploy (CLI, fake Marathon)', () => {
  it('--dry-run prints the final definition and sends nothing', async () => {
    const r = await runCli(['deploy', '--dry-run', '--app', file('good.json', good), '--marathon', server.url, '--branch', "feat/x'\"; rm -rf /"], {
      env: { BBM_IMAGE: '127.0.0.1:5000/web:web-3-main-1.0', BBM_BUILD_NUMBER: '3' },
    });
    expect(r.code, r.stderr).toBe(0);
    const def = JSON.parse(r.stdout);
    expect(def.container.docker.image).toBe('127.0.0.1:5000/web:web-3-main-1.0');
    expect(def.labels).toMatchObject({ 'bbm.build-number': '3', 'bbm.branch': "feat/x'\"; rm -rf /" });
    expect(r.stderr).toMatch(/dry run: would PUT \/v2\/apps\/web\?partialUpdate=false; nothing was sent \(lint: no findings\)/);
    expect(server.requests).toHaveLength(0);
  });

  it('--strict turns warnings into errors; an unknown placeholder and a bad timeout are usage errors', async () => {
    const warned = file('warned.json', { ...good, healthChecks: [{ protocol: 'TCP', gracePeriodSeconds: 60 }] });
    const strict = await runCli(['deploy', '--app', warned, '--image', 'web:1', '--marathon', server.url, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/\/healthChecks\(0\)\/protocol: .*\[marathon-level-health-check\]/);
    const unknown = await runCli(['deploy', '--app', file('unknown.json', { ...good, cmd: 'run ${version}' }), '--image', 'web:1', '--marathon', server.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/\/cmd: unknown placeholder \$\{version\}/);
    const timeout = await runCli(['deploy', '--app', warned, '--image', 'web:1', '--timeout', '-1']);
    expect(timeout.code).toBe(2);
    expect(server.requests).toHaveLength(0);
  });

  it('a missing or malformed file says where', async () => {
    const missing = await runCli(['deploy', '--app', path.join(dir, 'nope.json'), '--image', 'web:1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: cannot read it \(ENOENT\)/);
    const broken = await runCli(['deploy', '--app', file('broken.json', '{"id": "/a",\n "cmd": }'), '--image', 'web:1']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json:2:\d+: not valid JSON/);
  });

  it('401: names the credentials used, never shows the password, and sends it only in the header', async () => {
    server.handle((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/html', 'www-authenticate': 'basic realm="Mesosphere"' });
      res.end('<html><body><h2>HTTP ERROR 401</h2></body></html>');
    });
    const r = await runCli(['deploy', '--app', file('good3.json', good), '--image', 'web:1', '--marathon', server.url, '--timeout', '20'], {
      env: { BBM_MARATHON_USER: 'ci', BBM_MARATHON_PASSWORD: 's3cr3t-pw' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('basic auth for user "ci" from BBM_MARATHON_USER/BBM_MARATHON_PASSWORD');
    expect(`${r.stdout}${r.stderr}`).not.toContain('s3cr3t-pw');
    expect(server.requests.some((x) => x.headers.authorization === `Basic ${Buffer.from('ci:s3cr3t-pw').toString('base64')}`)).toBe(true);
  });

  it('credentials are not options: --marathon-password is refused', async () => {
    const r = await runCli(['deploy', '--app', 'x.json', '--image', 'web:1', '--marathon-password', 'pw']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument/);
  });

  it('status of a missing app and an invalid id are usage errors', async () => {
    server.handle((_req, res) => sendJson(res, 404, { message: "App '/nope' does not exist" }));
    const missing = await runCli(['status', '--app-id', 'nope', '--marathon', server.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\/nope does not exist/);
    const invalid = await runCli(['rollback', '--app-id', 'Web_App', '--marathon', server.url]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/--app-id: "Web_App" is not a valid Marathon app id/);
    expect(server.requests).toHaveLength(1);
  });
});
