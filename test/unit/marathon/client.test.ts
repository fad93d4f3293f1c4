/**
 * MarathonClient against recorded Marathon bodies (the reference data's examples) served by a local
 * HTTP server: parsing, what is sent, and how each failure becomes a BbmError.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MarathonClient, sortVersions } from '../../../src/marathon/client.js';
import { marathonHttpError } from '../../../src/marathon/http-error.js';
import { OperationFailedError, UnreachableError, UsageError } from '../../../src/errors.js';
import { memoryReporter } from '../../../src/reporter.js';
import { sendJson, startTestServer, type TestServer } from '../../support/http-server.js';
import { sharedJson, sharedText } from '../../support/shared.js';
import { appDefinitionErrors } from '../../support/schema.js';
import { components, describeWith } from '../../support/integration.js';

const example = (f: string) => sharedText('marathon', 'examples', f);

/** Suites that check against Marathon's reference data (schema, recorded bodies): skipped with a message without it, failing in CI. */
const withReference = await describeWith([components.reference]);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const client = (extra: Partial<ConstructorParameters<typeof MarathonClient>[0]> = {}) =>
  new MarathonClient({ url: server.url, retry: { attempts: 4, baseDelayMs: 5 }, ...extra });

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

withReference('MarathonClient reads (recorded bodies)', () => {
  it('getApp parses the 1.10 response and returns null on 404', async () => {
    server.handle((req, res) =>
      req.url === '/v2/apps/bridged-webapp'
        ? sendJson(res, 200, example('get-app-response.v1.10-shape.constructed.json'))
        : sendJson(res, 404, example('error-404-app-not-found.json')),
    );
    const app = await client().getApp('bridged-webapp');
    expect(app?.id).toBe('/bridged-webapp');
    expect(app?.tasks?.length).toBeGreaterThan(0);
    expect(await client().getApp('/not-there')).toBeNull();
    expect(server.requests.map((r) => r.url)).toEqual(['/v2/apps/bridged-webapp', '/v2/apps/not-there']);
    expect(server.requests[0]?.headers.accept).toBe('application/json');
  });

  it('getApps passes embed and label, getAppTasks/getDeployments/info parse their bodies', async () => {
    server.handle((req, res) => {
      if (req.url.startsWith('/v2/apps?')) return sendJson(res, 200, { apps: [JSON.parse(example('get-app-response.v1.10-shape.constructed.json')).app] });
      if (req.url === '/v2/apps/minecraft/survival-world/tasks') return sendJson(res, 200, example('get-app-tasks-response.json'));
      if (req.url === '/v2/deployments') return sendJson(res, 200, example('get-deployments-response.json'));
      if (req.url === '/v2/info') return sendJson(res, 200, example('get-info-response.json'));
      sendJson(res, 404, { message: 'no' });
    });
    const c = client();
    const apps = await c.getApps({ embed: ['apps.tasks', 'apps.counts'], label: 'env==prod' });
    expect(apps.map((a) => a.id)).toEqual(['/bridged-webapp']);
    expect(server.requests[0]?.url).toBe('/v2/apps?embed=apps.tasks&embed=apps.counts&label=env%3D%3Dprod');
    expect((await c.getAppTasks('/minecraft/survival-world'))[0]?.state).toBe('TASK_STAGING');
    const deployments = await c.getDeployments();
    expect(deployments[0]?.id).toBe('97c136bf-5a28-4821-9d94-480d9fbb01c8');
    expect(deployments[0]?.affectedApps).toEqual(['/foo']);
    expect((await c.info()).leader).toBe('localhost:8080');
  });

});

withReference('MarathonClient writes (recorded bodies, schema)', () => {
  it('putApp sends the normalised id, the query flags and a schema-valid body; 201 and 200 are told apart', async () => {
    let created = false;
    server.handle((req, res) => {
      sendJson(res, created ? 200 : 201, example('put-app-response.json'), { 'Marathon-Deployment-Id': '5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43' });
      created = true;
    });
    const def = sharedJson<{ id: string }>('marathon', 'examples', 'app-definition.docker-bridge.json');
    const first = await client().putApp(def, { partialUpdate: false, force: true });
    expect(first).toEqual({ status: 201, deploymentId: '5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43', version: '2015-09-29T15:59:51.164Z' });
    expect((await client().putApp(def)).status).toBe(200);
    const [a, b] = server.requests;
    expect(a?.method).toBe('PUT');
    expect(a?.url).toBe('/v2/apps/bridged-webapp?force=true&partialUpdate=false');
    expect(b?.url).toBe('/v2/apps/bridged-webapp');
    expect(a?.headers['content-type']).toBe('application/json');
    const sent = JSON.parse(a?.body ?? '');
    expect(sent.id).toBe('/bridged-webapp');
    expect(appDefinitionErrors(sent)).toEqual([]);
  });

  it('rollbackApp sends only {version}; cancelDeployment handles 200, 202 and 404; deleteApp', async () => {
    server.handle((req, res) => {
      if (req.method === 'PUT') return sendJson(res, 200, example('put-app-response.json'));
      if (req.url === '/v2/deployments/d1') return sendJson(res, 200, { deploymentId: 'rb1', version: 'v' });
      if (req.url === '/v2/deployments/d2?force=true') return void res.writeHead(202).end();
      if (req.url.startsWith('/v2/deployments/')) return sendJson(res, 404, { message: 'DeploymentPlan d3 does not exist' });
      if (req.method === 'DELETE') return sendJson(res, 200, { deploymentId: 'del', version: 'v' });
    });
    const c = client();
    const r = await c.rollbackApp('/web', '2014-03-01T23:17:50.295Z');
    expect(r.deploymentId).toBe('5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43');
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual(sharedJson('marathon', 'examples', 'put-app-rollback-request.json'));
    expect(await c.cancelDeployment('d1')).toEqual({ deploymentId: 'rb1', version: 'v' });
    expect(await c.cancelDeployment('d2', { force: true })).toBeNull();
    expect(await c.cancelDeployment('d3')).toBeNull();
    expect((await c.deleteApp('web')).deploymentId).toBe('del');
  });
});

describe('MarathonClient versions and ids', () => {
  it('getVersions sorts oldest first; getVersion encodes the timestamp', async () => {
    server.handle((req, res) => {
      if (req.url === '/v2/apps/web/versions')
        return sendJson(res, 200, { versions: ['2024-01-02T00:00:00.000Z', '2023-12-31T23:59:59.999Z', '2024-01-01T10:00:00.000Z'] });
      if (req.url === '/v2/apps/web/versions/2024-01-02T00%3A00%3A00.000Z') return sendJson(res, 200, { id: '/web', cmd: 'x' });
      sendJson(res, 404, { message: `no ${req.url}` });
    });
    expect(await client().getVersions('web')).toEqual(['2023-12-31T23:59:59.999Z', '2024-01-01T10:00:00.000Z', '2024-01-02T00:00:00.000Z']);
    expect(await client().getVersion('web', '2024-01-02T00:00:00.000Z')).toEqual({ id: '/web', cmd: 'x' });
    expect(sortVersions(['b', '2020-01-01T00:00:00Z', 'a'])).toEqual(['2020-01-01T00:00:00Z', 'a', 'b']);
  });
  it('an invalid id is refused before any request, with the fixed id suggested', async () => {
    server.handle((_req, res) => sendJson(res, 200, {}));
    const e = await caught(client().putApp({ id: 'webApp', cmd: 'x' }));
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).hint).toContain('"/webapp"');
    expect(await caught(client().getApp('My_App'))).toBeInstanceOf(UsageError);
    expect(server.requests).toHaveLength(0);
  });
});

withReference('MarathonClient errors (recorded bodies)', () => {
  it.each([
    ['error-422-validation.json', 422, ['/upgradeStrategy/minimumHealthCapacity: is greater than 1']],
    ['error-422-invalid-json.json', 422, ['/id: error.expected.jsstring']],
    ['error-422-validation.app-without-cmd.json', 422, ["/: AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."]],
    ['error-400-json-parse.json', 400, ['Unexpected end-of-input']],
  ])('%s → UsageError listing each details path', async (file, status, lines) => {
    server.handle((_req, res) => sendJson(res, status, example(file)));
    const e = await caught(client().putApp({ id: '/web', cmd: 'x' }));
    expect(e).toBeInstanceOf(UsageError);
    for (const l of lines) expect(e.message).toContain(l);
    expect(marathonHttpError(e)?.status).toBe(status);
    expect(marathonHttpError(e)?.method).toBe('PUT');
    expect(marathonHttpError(e)?.path).toBe('/v2/apps/web');
    expect(server.requests).toHaveLength(1);
  });

  it('409 → OperationFailedError carrying the blocking deployment ids', async () => {
    server.handle((_req, res) => sendJson(res, 409, example('error-409-app-locked.json')));
    const e = await caught(client().putApp({ id: '/web', cmd: 'x' }));
    expect(e).toBeInstanceOf(OperationFailedError);
    expect(e.message).toContain('5cd987cd-85ae-4e70-8df7-f1438367d9cb');
    expect(marathonHttpError(e)?.body.deployments).toEqual([{ id: '5cd987cd-85ae-4e70-8df7-f1438367d9cb' }]);
  });
});

describe('MarathonClient errors', () => {
  it('401 with Jetty’s HTML page names the credentials used, never their value', async () => {
    server.handle((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'basic realm="Mesosphere"', 'content-type': 'text/html' });
      res.end('<html><head><title>Error 401 Unauthorized</title></head><body><h2>HTTP ERROR 401</h2></body></html>');
    });
    const e = await caught(client({ auth: { kind: 'basic', user: 'ci', password: 'hunter2', source: 'BBM_MARATHON_USER/BBM_MARATHON_PASSWORD' } }).info());
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toContain('basic auth for user "ci" from BBM_MARATHON_USER/BBM_MARATHON_PASSWORD');
    expect(e.message).toContain('HTTP ERROR 401');
    expect(e.message).not.toContain('hunter2');
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('ci:hunter2').toString('base64')}`);
  });

  it('403 with a token says a DC/OS token was sent; without credentials it says none were', async () => {
    server.handle((_req, res) => sendJson(res, 403, { message: 'Not Authorized to perform this action!' }));
    const e = await caught(client({ auth: { kind: 'token', token: 'sekrit', source: 'BBM_MARATHON_TOKEN' } }).getApps());
    expect(e.message).toContain('a DC/OS token from BBM_MARATHON_TOKEN');
    expect(e.message).not.toContain('sekrit');
    expect(server.requests[0]?.headers.authorization).toBe('token=sekrit');
    const e2 = await caught(client().getApps());
    expect(e2.message).toContain('sent no credentials');
  });

  it('a burst of 503 is retried and then succeeds, saying so', async () => {
    let n = 0;
    server.handle((_req, res) => (++n <= 2 ? sendJson(res, 503, { message: 'busy' }) : sendJson(res, 200, { apps: [] })));
    const reporter = memoryReporter();
    expect(await client({ reporter }).getApps()).toEqual([]);
    expect(server.requests).toHaveLength(3);
    expect(reporter.lines.filter((l) => l.includes('answered 503'))).toHaveLength(2);
  });

  it('502 that never ends → UnreachableError after the attempts', async () => {
    server.handle((_req, res) => sendJson(res, 502, { message: 'Could not determine the current leader' }));
    const e = await caught(client().getDeployments());
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.message).toContain('Could not determine the current leader');
    expect(e.message).toContain('gave up after 4 attempts');
    expect(server.requests).toHaveLength(4);
  });

  it('stops retrying at the deadline', async () => {
    server.handle((_req, res) => sendJson(res, 503, { message: 'busy' }));
    const e = await caught(new MarathonClient({ url: server.url, retry: { attempts: 1000, baseDelayMs: 20, deadline: Date.now() + 300 } }).info());
    expect(e).toBeInstanceOf(UnreachableError);
    expect(server.requests.length).toBeLessThan(1000);
  });

  it('a refused connection → UnreachableError naming the URL', async () => {
    const s = await startTestServer();
    const url = s.url;
    await s.close();
    const e = await caught(new MarathonClient({ url, retry: { attempts: 2, baseDelayMs: 5 } }).info());
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.message).toContain(url);
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('a 2xx body that is not JSON is an error, not a crash', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    expect(await caught(client().getApps())).toBeInstanceOf(OperationFailedError);
  });

  it.each(['ftp://x', 'not a url', 'http://user:pw@127.0.0.1:1'])('rejects the base URL %s', (url) => {
    expect(() => new MarathonClient({ url })).toThrow(UsageError);
  });

  it('keeps a base path (DC/OS /service/marathon)', async () => {
    server.handle((req, res) => sendJson(res, req.url === '/service/marathon/v2/info' ? 200 : 404, { name: 'marathon' }));
    expect((await client({ url: `${server.url}/service/marathon/` }).info()).name).toBe('marathon');
  });
});

describe('MarathonClient: reads that hit a busy Marathon, and deadlines that hold', () => {
  // mesosphere/marathon core/health/impl/MarathonHealthCheckManager.scala asks for health statuses
  // with a 2 s akka Timeout; under load GET /v2/apps/{id} then fails with 500.
  it('a 500 on a read is retried; a 500 on a write is not', async () => {
    let n = 0;
    server.handle((req, res) =>
      req.method === 'GET' && ++n <= 2 ? sendJson(res, 500, { message: 'Futures timed out after [2 seconds]' }) : req.method === 'GET' ? sendJson(res, 200, { apps: [] }) : sendJson(res, 500, { message: 'boom' }),
    );
    const reporter = memoryReporter();
    expect(await client({ reporter }).getApps()).toEqual([]);
    expect(server.requests).toHaveLength(3);
    expect(reporter.lines.filter((l) => l.includes('answered 500'))).toHaveLength(2);
    server.requests.length = 0;
    const e = await caught(client().putApp({ id: '/web', cmd: 'x' }));
    expect(e).toBeInstanceOf(OperationFailedError);
    expect(server.requests).toHaveLength(1);
  });

  // A leader failover (mesosphere/marathon api/LeaderProxyFilter.scala: 502 until a leader is
  // elected; connections refused while the new one starts) takes longer than a fixed attempt count.
  it('with a deadline, connection errors are retried until the deadline, not a fixed number of times', async () => {
    const s = await startTestServer();
    const url = s.url;
    await s.close();
    const reporter = memoryReporter();
    const e = await caught(new MarathonClient({ url, reporter, retry: { baseDelayMs: 5, deadline: Date.now() + 1_500 } }).info());
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.message).toMatch(/gave up after \d+ attempts within the timeout/);
    const tries = Number(/gave up after (\d+) attempts/.exec(e.message)?.[1]);
    expect(tries).toBeGreaterThan(6);
  });

  it('a server that accepts and never answers is cut at the deadline', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const e = await caught(new MarathonClient({ url: `http://127.0.0.1:${port}`, retry: { baseDelayMs: 5, deadline: Date.now() + 1_500 } }).getApp('/web'));
      expect(e).toBeInstanceOf(UnreachableError);
      expect(e.message).toContain('gave no answer before the deadline');
      expect(sockets.length).toBeGreaterThanOrEqual(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 20_000);
});
