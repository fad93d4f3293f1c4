/**
 * `bbm deploy`, `rollback` and `status` end to end: the real CLI against a real `bbm devcluster`
 * running busybox httpd tasks as Docker containers, through a fault-injecting proxy. Every app
 * definition bbm sends is checked against Marathon's own schema.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { MarathonClient } from '../../src/marathon/client.js';
import type { AppInfo } from '../../src/marathon/types.js';
import { BASE_IMAGE, components, describeWith, itWith } from '../support/integration.js';
import { startTestDevcluster, type TestDevcluster } from '../support/devcluster.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { runCli, type CliResult } from '../support/run-cli.js';
import { appDefinitionErrors } from '../support/schema.js';
import { expectTimingLine } from '../support/timing.js';
import { startTestServer } from '../support/http-server.js';

const d = await describeWith([components.docker, components.baseImage]);
const itRef = await itWith([components.reference]);
const APP = '/bbm-e2e/web';

/** A web app whose page says which build it is; `start` runs before httpd (a slow start, or a broken one). */
function template(start: string, instances: number): unknown {
  return {
    id: APP,
    cmd: `${start}mkdir -p /www && echo "build \${buildNumber}" > /www/index.html && exec httpd -f -p 8080 -h /www`,
    instances,
    cpus: 0.1,
    mem: 32,
    networks: [{ mode: 'container/bridge' }],
    container: { type: 'DOCKER', docker: { image: '${image}' }, portMappings: [{ containerPort: 8080, hostPort: 0, servicePort: 0, protocol: 'tcp' }] },
    healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3, delaySeconds: 1 }],
    labels: { team: 'e2e' },
    taskKillGracePeriodSeconds: 3,
  };
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.end();
  });
}

d('bbm deploy against bbm devcluster', () => {
  let dc: TestDevcluster;
  let proxy: FaultProxy;
  let dir: string;
  let engine: MarathonClient;
  const sent: unknown[] = [];
  const versions: Record<string, string> = {};

  // good2 runs two instances (for the x-of-y progress); the others one, to keep the suite short
  const files = { good2: '', good: '', slow: '', broken: '' };
  beforeAll(async () => {
    dc = await startTestDevcluster({ name: `deploy-${process.pid}` });
    proxy = await startFaultProxy(dc.url);
    engine = new MarathonClient({ url: dc.url });
    dir = await mkdtemp(path.join(os.tmpdir(), 'bbm-deploy-e2e-'));
    for (const [name, start, n] of [['good2', '', 2], ['good', '', 1], ['slow', 'sleep 8; ', 1], ['broken', 'sleep 3600; ', 1]] as const) {
      files[name] = path.join(dir, `${name}.json`);
      await writeFile(files[name], JSON.stringify(template(start, n), null, 2));
    }
  });

  afterEach(() => {
    // every definition bbm PUT (through the proxy) must be valid for Marathon's own schema
    for (const r of proxy.records) if (r.method === 'PUT' && r.url.startsWith('/v2/apps/')) sent.push(JSON.parse(r.body));
    // (a rollback's PUT {"version": …} is not a definition: it is checked in its own test)
    proxy.reset();
  });

  afterAll(async () => {
    await engine?.close();
    await proxy?.close();
    if (dc) {
      if (process.env.BBM_TEST_KEEP_LOGS) process.stderr.write(dc.log());
      await dc.destroy();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const deploy = (file: string, build: number, ...extra: string[]): Promise<CliResult> =>
    runCli(['deploy', '--app', file, '--image', BASE_IMAGE, '--marathon', proxy.url, ...(extra.includes('--timeout') ? [] : ['--timeout', '90']), '--project', 'web', '--build-number', String(build), '--branch', 'main', '--commit', `c0ffee${build}`, '--build-url', `http://buildbot.invalid/builds/${build}`, ...extra]);

  /** What every task of the app serves, and the app. */
  async function serving(): Promise<{ pages: string[]; app: AppInfo }> {
    const app = (await engine.getApp(APP))!;
    const pages = await Promise.all((app.tasks ?? []).map((t) => httpGet(`http://127.0.0.1:${t.ports[0]}/`)));
    return { pages: pages.sort(), app };
  }

  const explain = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

  it('a first deploy creates the app, follows its events and returns once every instance is healthy', async () => {
    const r = await deploy(files.good2, 1, '--strict');
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr).toContain(`created ${APP}`);
    expect(r.stderr).toMatch(/followed by events/);
    expect(r.stderr).toMatch(/of 2 instances of the new version healthy/);
    expect(r.stderr).toMatch(/all 2 instances run version \S+ and are healthy/);
    const [line] = r.stdout.trim().split('\n');
    expect(line).toMatch(new RegExp(`^${APP} \\d{4}-\\d\\d-\\d\\dT`));
    versions.b1 = line!.split(' ')[1]!;
    const { pages, app } = await serving();
    expect(pages).toEqual(['build 1', 'build 1']);
    expect(app.version).toBe(versions.b1);
    expect(app.labels).toMatchObject({ team: 'e2e', 'bbm.build-number': '1', 'bbm.branch': 'main', 'bbm.commit': 'c0ffee1', 'bbm.build-url': 'http://buildbot.invalid/builds/1', 'bbm.image': BASE_IMAGE });
    const put = proxy.records.find((x) => x.method === 'PUT')!;
    expect(put.url).toBe('/v2/apps/bbm-e2e/web?partialUpdate=false');
    // subscribed before the PUT
    expect(proxy.records.findIndex((x) => x.url.startsWith('/v2/events'))).toBeLessThan(proxy.records.indexOf(put));
    expect(proxy.records.find((x) => x.url.startsWith('/v2/events'))?.headers.accept).toBe('text/event-stream');
    // the last line says how long Marathon took and how long bbm
    expectTimingLine(r.stderr, 'deploy', ['Marathon rollout']);
  });

  it('an upgrade replaces every instance; status shows the new version, its build and the old one', async () => {
    const r = await deploy(files.good2, 2);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr).toContain(`updated ${APP}`);
    versions.b2 = r.stdout.trim().split(' ')[1]!;
    expect((await serving()).pages).toEqual(['build 2', 'build 2']);
    const s = await runCli(['status', '--app-id', APP, '--marathon', proxy.url, '--json']);
    expect(s.code, explain(s)).toBe(0);
    const status = JSON.parse(s.stdout);
    expect(status.version).toBe(versions.b2);
    expect(status.versions).toEqual(expect.arrayContaining([versions.b1, versions.b2]));
    expect(status.tasks).toHaveLength(2);
    expect(status.tasks.every((t: { healthy: boolean; version: string }) => t.healthy && t.version === versions.b2)).toBe(true);
    expect(status.labels['bbm.build-number']).toBe('2');
    const text = await runCli(['status', '--app-id', 'bbm-e2e/web', '--marathon', proxy.url]);
    expect(text.stdout).toMatch(/instances 2: 2 running, 2 healthy/);
  });

  it('a version whose health check never passes is rolled back: exit 1, the old version still serves', async () => {
    const r = await deploy(files.broken, 3, '--timeout', '8');
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toMatch(/did not finish within 8 s; cancelling deployment/);
    expect(r.stderr).toMatch(/rolled back \(deployment [0-9a-f-]+ finished\)/);
    expect(r.stderr).toMatch(/now: app version .* \(the previous one\), 2 running, 2 healthy of 2/);
    expect(r.stderr).toMatch(/^bbm: error: /m);
    expectTimingLine(r.stderr.slice(0, r.stderr.search(/^bbm: error: /m)), 'deploy', ['Marathon rollout', 'Marathon rollback']);
    expect(proxy.records.some((x) => x.method === 'DELETE' && x.url.startsWith('/v2/deployments/'))).toBe(true);
    const { pages, app } = await serving();
    expect(pages).toEqual(['build 2', 'build 2']);
    expect(app.labels?.['bbm.build-number']).toBe('2');
    expect(await engine.getDeployments()).toEqual([]);
  });

  // After deploy 1, 2 and the failing 3 (rolled back to 2 above): the version list holds 1, 2, 3 and
  // the cancel-rollback's own version (devcluster stamps it as Marathon 1.9.71+ does, with its
  // start-up time: mesosphere/marathon state/Group.scala defaultVersion), so "the newest version
  // older than the current one" is no answer; bbm picks by its labels (src/deploy/rollback-target.ts).
  it('bbm rollback without --to brings build 1: the build before the running 2, skipping the rolled-back 3', async () => {
    const s = await runCli(['status', '--app-id', APP, '--marathon', proxy.url, '--json']);
    expect(s.code, explain(s)).toBe(0);
    expect((JSON.parse(s.stdout) as { rollbackCandidates: { buildNumber: string }[] }).rollbackCandidates[0]?.buildNumber).toBe('1');
    const r = await runCli(['rollback', '--app-id', APP, '--marathon', proxy.url, '--timeout', '90']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr).toMatch(/rolling back to build 1 \(commit c0ffee1\)/);
    const { pages, app } = await serving();
    expect(pages).toEqual(['build 1', 'build 1']);
    expect(app.labels?.['bbm.build-number']).toBe('1');
  });

  // mesosphere/marathon api/v2/AppHelpers.scala + upgrade/GroupVersioningUtil.scala: an unchanged
  // definition keeps the app's version; its deployment has no steps and restarts nothing.
  it('deploying build 2’s exact definition twice: the second exits 0 saying so, with no task restarted', async () => {
    const again = await deploy(files.good2, 2);
    expect(again.code, explain(again)).toBe(0);
    expect((await serving()).pages).toEqual(['build 2', 'build 2']);
    const before = (await engine.getApp(APP))!;
    const t0 = Date.now();
    const same = await deploy(files.good2, 2);
    process.stderr.write(`identical redeploy of build 2 took ${Date.now() - t0} ms (bbm process included)\n`);
    expect(same.code, explain(same)).toBe(0);
    expect(same.stderr).toMatch(/already runs this definition/);
    expect(same.stdout.trim()).toBe(`${APP} ${before.version}`);
    const after = (await engine.getApp(APP))!;
    expect(after.version).toBe(before.version);
    expect((after.tasks ?? []).map((t) => t.id).sort()).toEqual((before.tasks ?? []).map((t) => t.id).sort());
  });

  it('a deploy while another deployment holds the app waits for it, then succeeds', async () => {
    const first = deploy(files.slow, 4);
    // wait until the first one's deployment is running
    const t0 = Date.now();
    while ((await engine.getDeployments()).length === 0) {
      if (Date.now() - t0 > 60_000) throw new Error('the first deployment never started');
      await new Promise((res) => setTimeout(res, 100));
    }
    const second = await deploy(files.good, 5);
    const one = await first;
    expect(second.code, explain(second)).toBe(0);
    expect(second.stderr).toMatch(/is locked by deployment [0-9a-f-]+; waiting for it to finish/);
    expect(second.stderr).toMatch(/finished; sending the definition again/);
    expectTimingLine(second.stderr, 'deploy', ['another deployment', 'Marathon rollout']);
    expect(one.code, explain(one)).toBe(0);
    expect((await serving()).pages).toEqual(['build 5']);
    versions.b5 = second.stdout.trim().split(' ')[1]!;
  });

  it('--force replaces a deployment that is stuck, without waiting for it', async () => {
    const stuck = await deploy(files.broken, 6, '--timeout', '5', '--no-rollback');
    expect(stuck.code, explain(stuck)).toBe(1);
    expect(stuck.stderr).toMatch(/left running \(--no-rollback\)/);
    expect((await engine.getDeployments()).length).toBe(1);
    const forced = await deploy(files.good, 7, '--force');
    expect(forced.code, explain(forced)).toBe(0);
    expect(forced.stderr).not.toMatch(/locked/);
    expect(proxy.records.filter((x) => x.method === 'PUT' && x.url.includes('/v2/apps/')).at(-1)?.url).toBe('/v2/apps/bbm-e2e/web?force=true&partialUpdate=false');
    expect((await serving()).pages).toEqual(['build 7']);
  });

  it('bbm rollback --to puts an earlier build back and waits for it to be healthy', async () => {
    const r = await runCli(['rollback', '--app-id', APP, '--to', versions.b5!, '--marathon', proxy.url, '--timeout', '90']);
    expect(r.code, explain(r)).toBe(0);
    expect(JSON.parse(proxy.records.find((x) => x.method === 'PUT')!.body)).toEqual({ version: versions.b5 });
    expect(r.stderr).toMatch(/are healthy/);
    expect((await serving()).pages).toEqual(['build 5']);
    const bad = await runCli(['rollback', '--app-id', APP, '--to', '2001-01-01T00:00:00.000Z', '--marathon', proxy.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no such version/);
  });

  it('the event stream dropped mid-deploy: reconnects, checks /v2/deployments, still finishes correctly', async () => {
    proxy.dropEventsAfter(2, 1);
    const r = await deploy(files.good, 8);
    expect(r.code, explain(r)).toBe(0);
    expect(proxy.stats.cutStreams).toBe(1);
    expect(r.stderr).toMatch(/event stream dropped/);
    expect(proxy.records.filter((x) => x.url.startsWith('/v2/events')).length).toBeGreaterThanOrEqual(2);
    expect((await serving()).pages).toEqual(['build 8']);
  });

  it('no event stream at all (405): polls /v2/deployments at most once a second and says so', async () => {
    proxy.refuseEvents(405);
    const t0 = Date.now();
    const r = await deploy(files.good, 10);
    const seconds = (Date.now() - t0) / 1000;
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr).toMatch(/event stream unavailable .*405.*; following the deployment by polling \/v2\/deployments once a second/);
    expect(r.stderr).toMatch(/followed by polling/);
    const polls = proxy.records.filter((x) => x.method === 'GET' && x.url === '/v2/deployments').length;
    expect(polls).toBeGreaterThan(0);
    expect(polls).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect((await serving()).pages).toEqual(['build 10']);
  });

  it('a 302 to the leader for /v2/events is followed, and bursts of 503 are retried with backoff', async () => {
    proxy.redirectEvents(dc.url);
    proxy.fail503(3, (method, url) => method === 'PUT' || url === '/v2/deployments' || url.startsWith('/v2/apps'));
    const r = await deploy(files.good, 11);
    expect(r.code, explain(r)).toBe(0);
    expect(proxy.stats.redirects).toBeGreaterThanOrEqual(1);
    expect(r.stderr).toContain(`event stream: following the redirect to ${dc.url}/v2/events`);
    expect(r.stderr).toMatch(/followed by events/);
    expect(proxy.stats.injected503).toBe(3);
    expect(r.stderr.match(/answered 503 .*retrying in/g)?.length).toBe(3);
    expect((await serving()).pages).toEqual(['build 11']);
  });

  it('Marathon unreachable: retries, then exit 3 naming the URL', async () => {
    const s = await startTestServer();
    const url = s.url;
    await s.close();
    const r = await runCli(['deploy', '--app', files.good, '--image', BASE_IMAGE, '--marathon', url, '--timeout', '4', '--build-number', '1']);
    expect(r.code, explain(r)).toBe(3);
    expect(r.stderr).toContain(url);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
  });

  itRef('every definition sent validated against Marathon’s AppDefinition schema (reference data)', () => {
    expect(sent.length).toBeGreaterThanOrEqual(9);
    const definitions = sent.filter((b) => !(Object.keys(b as object).length === 1 && 'version' in (b as object)));
    expect(sent.length - definitions.length).toBe(2); // the two bbm rollbacks
    for (const def of definitions) expect(appDefinitionErrors(def)).toEqual([]);
  });
});
