/**
 * `bbm promote` and `bbm status --project` end to end: two real `bbm devcluster` engines (staging,
 * production) on this machine's Docker engine, images in the real registry. A deploy to staging,
 * a promotion that puts the identical digest on production (checked with the registry's own
 * HEAD), "already there", a promotion whose new version fails health checks in production (rolled
 * back, staging untouched), a source that is not healthy (refused), and `--build N`: a build that
 * failed its health checks in staging is refused, an earlier build that ran healthy there is promoted.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MarathonClient } from '../../src/marathon/client.js';
import { BASE_IMAGE, REGISTRY, components, describeWith } from '../support/integration.js';
import { startTestDevcluster, type TestDevcluster } from '../support/devcluster.js';
import { registryDigest as digestOf } from '../support/registry.js';
import { runCli } from '../support/run-cli.js';

const run = promisify(execFile);
const d = await describeWith([components.docker, components.baseImage, components.registry]);
const REPO = `bbm-promote-e2e-${process.pid}`;

function template(healthPath: string): unknown {
  return {
    id: '/hello',
    cmd: 'mkdir -p /www && echo "${env} build ${buildNumber}" > /www/index.html && exec httpd -f -p 8080 -h /www',
    instances: 1,
    cpus: 0.1,
    mem: 32,
    networks: [{ mode: 'container/bridge' }],
    container: { type: 'DOCKER', docker: { image: '${image}' }, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }] },
    healthChecks: [{ protocol: 'MESOS_HTTP', path: healthPath, portIndex: 0, gracePeriodSeconds: 15, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 2, delaySeconds: 1 }],
    labels: { team: 'e2e' },
    taskKillGracePeriodSeconds: 2,
  };
}

const registryDigest = (tag: string) => digestOf(REPO, tag);

d('bbm promote between two devcluster engines', () => {
  let staging: TestDevcluster;
  let production: TestDevcluster;
  let dir: string;
  const image = (n: number) => `${REGISTRY}/${REPO}:b${n}`;

  beforeAll(async () => {
    [staging, production] = await Promise.all([startTestDevcluster({ name: `promote-st-${process.pid}` }), startTestDevcluster({ name: `promote-pr-${process.pid}` })]);
    dir = await mkdtemp(path.join(os.tmpdir(), 'bbm-promote-e2e-'));
    // three builds with different digests
    for (const n of [1, 2, 3]) {
      await writeFile(path.join(dir, `Dockerfile.${n}`), `FROM ${BASE_IMAGE}\nLABEL build=${n}\n`);
      await run('docker', ['build', '-q', '-t', image(n), '-f', path.join(dir, `Dockerfile.${n}`), dir]);
      const push = await runCli(['push', '--image', image(n)]);
      expect(push.code, push.stderr).toBe(0);
    }
    await writeFile(path.join(dir, 'marathon.json'), JSON.stringify(template('/')));
    await writeFile(path.join(dir, 'broken.json'), JSON.stringify(template('/${env}-is-missing')));
    await writeFile(
      path.join(dir, 'ci.config.json'),
      JSON.stringify({
        registry: REGISTRY,
        environments: { staging: { url: staging.url, appIdPrefix: '/staging' }, production: { url: production.url } },
        buildbot: { url: 'http://127.0.0.1:8010/', workers: [{ name: 'w' }] },
        projects: [{ name: 'hello', repo: 'r', type: 'docker', branches: ['master'], deploy: { environments: { staging: { branches: ['master'] }, production: { promoteFrom: 'staging', instances: 2, labels: { tier: 'prod' } } } } }],
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([staging?.destroy(), production?.destroy()]);
    if (dir) await rm(dir, { recursive: true, force: true });
    for (const n of [1, 2, 3]) await run('docker', ['rmi', '-f', image(n)]).catch(() => undefined);
  });

  const cli = (args: string[]) => runCli(args, { cwd: dir, timeoutMs: 240_000 });
  const deployStaging = (n: number, app = 'marathon.json', timeout = 120) =>
    cli(['deploy', '--app', app, '--image', image(n), '--marathon-url', staging.url, '--environment', 'staging', '--app-id', '/staging/hello', '--project', 'hello', '--build-number', String(n), '--commit', 'abcdef0123456789', '--build-url', `http://127.0.0.1:8010/#/builders/1/builds/${n}`, '--timeout', String(timeout)]);

  it('promotes the digest that runs healthy in staging; the registry agrees; a second run is already there', async () => {
    const dep = await deployStaging(1);
    expect(dep.code, dep.stderr).toBe(0);
    const r = await cli(['promote', '--project', 'hello', '--from', 'staging', '--to', 'production', '--timeout', '120']);
    expect(r.code, r.stderr).toBe(0);
    const digest = await registryDigest('b1');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const prod = await new MarathonClient({ url: production.url }).getApp('/hello');
    expect(prod?.container?.docker?.image).toBe(`${REGISTRY}/${REPO}@${digest}`);
    expect(prod?.instances).toBe(2);
    expect(prod?.labels).toMatchObject({ 'bbm.promoted-from': 'staging', 'bbm.build-number': '1', 'bbm.build-url': 'http://127.0.0.1:8010/#/builders/1/builds/1', 'bbm.environment': 'production', tier: 'prod' });
    const again = await cli(['promote', '--project', 'hello', '--to', 'production']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/already there/);
  }, 300_000);

  it('a promotion whose new version fails health checks rolls production back and leaves staging untouched', async () => {
    const dep = await deployStaging(2);
    expect(dep.code, dep.stderr).toBe(0);
    const before = await new MarathonClient({ url: staging.url }).getApp('/staging/hello');
    const r = await cli(['promote', '--project', 'hello', '--to', 'production', '--app', 'broken.json', '--timeout', '40']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/rolled back/);
    const prod = await new MarathonClient({ url: production.url }).getApp('/hello');
    expect(prod?.container?.docker?.image).toBe(`${REGISTRY}/${REPO}@${await registryDigest('b1')}`);
    const after = await new MarathonClient({ url: staging.url }).getApp('/staging/hello');
    expect(after?.version).toBe(before?.version);
    expect(after?.container?.docker?.image).toBe(image(2));
  }, 300_000);

  it('bbm status --project shows both environments; an unhealthy source is refused', async () => {
    const s = await cli(['status', '--project', 'hello', '--json']);
    expect(s.code, s.stderr).toBe(0);
    const rows = (JSON.parse(s.stdout) as { environments: { environment: string; build: string; digest: string; healthy: number; instances: number; endpoints: unknown[] }[] }).environments;
    expect(rows.map((e) => [e.environment, e.build, e.healthy, e.instances])).toEqual([['staging', '2', 1, 1], ['production', '1', 2, 2]]);
    expect(rows[0]!.digest).toBe(await registryDigest('b2'));
    expect(rows[1]!.digest).toBe(await registryDigest('b1'));
    expect(rows[1]!.endpoints).toHaveLength(2);
    // the source scaled to 0: nothing healthy to promote
    await new MarathonClient({ url: staging.url }).putApp({ ...(template('/') as object), id: '/staging/hello', instances: 0, container: { type: 'DOCKER', docker: { image: image(2) }, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }] } } as never);
    const r = await cli(['promote', '--project', 'hello', '--to', 'production']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not healthy|scaled to 0|deployment is running/);
  }, 300_000);

  it('--build N: a build that failed its health checks in staging is refused; an earlier build that ran healthy there is promoted', async () => {
    // staging runs 2, then 1 (which records 2 as healthy), then a 3 that never passes its health
    // check: bbm deploy cancels it and Marathon puts 1 back. Production runs 1.
    for (const n of [2, 1]) {
      const dep = await deployStaging(n);
      expect(dep.code, dep.stderr).toBe(0);
    }
    const broken = await deployStaging(3, 'broken.json', 15);
    expect(broken.code, broken.stderr).toBe(1);
    expect(broken.stderr).toMatch(/rolled back/);
    const stagingClient = new MarathonClient({ url: staging.url });
    const versions = await stagingClient.getVersions('/staging/hello');
    const defs = await Promise.all(versions.map(async (v) => ({ v, def: await stagingClient.getVersion('/staging/hello', v) })));
    // build 3 is among staging's stored versions (so the old lookup would have taken it)
    expect(defs.some((d) => d.def.labels?.['bbm.build-number'] === '3')).toBe(true);
    const prodBefore = await new MarathonClient({ url: production.url }).getApp('/hello');

    const refused = await cli(['promote', '--project', 'hello', '--to', 'production', '--build', '3']);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/build 3 is among the versions of \/staging\/hello in staging .*nothing records that it ran there healthy/);
    expect(refused.stderr).toMatch(/builds known to have run healthy in staging: 1 \(running now\), 2;.*--allow-unverified/);
    const prodAfter = await new MarathonClient({ url: production.url }).getApp('/hello');
    expect(prodAfter?.version).toBe(prodBefore?.version);
    expect(prodAfter?.container?.docker?.image).toBe(`${REGISTRY}/${REPO}@${await registryDigest('b1')}`);

    // the override is explicit and says so (resolved only: it would fail production's health checks)
    const unverified = await cli(['promote', '--project', 'hello', '--to', 'production', '--build', '3', '--allow-unverified', '--resolve-only']);
    expect(unverified.code, unverified.stderr).toBe(0);
    expect(JSON.parse(unverified.stdout)).toMatchObject({ buildNumber: '3', image: image(3), verified: false });
    expect(unverified.stderr).toMatch(/without a record that it ran healthy in staging/);

    // build 2 ran healthy (build 1's definition records its version): promoted, as it ran there
    const recorded = defs.find((d) => d.def.labels?.['bbm.build-number'] === '1' && d.def.labels?.['bbm.replaced-healthy-version'])?.def.labels?.['bbm.replaced-healthy-version'];
    expect(defs.find((d) => d.v === recorded)?.def.labels?.['bbm.build-number']).toBe('2');
    const r = await cli(['promote', '--project', 'hello', '--to', 'production', '--build', '2', '--timeout', '120']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/not running now, ran healthy there/);
    const prod = await new MarathonClient({ url: production.url }).getApp('/hello');
    expect(prod?.container?.docker?.image).toBe(`${REGISTRY}/${REPO}@${await registryDigest('b2')}`);
    expect(prod?.labels).toMatchObject({ 'bbm.build-number': '2', 'bbm.promoted-from': 'staging', 'bbm.promoted-from-version': recorded });
    // production's build 1 ran healthy when build 2 replaced it: the promotion's PUT records it (from the target app promote read)
    expect(prod?.labels?.['bbm.replaced-healthy-version']).toBe(prodBefore?.version);
    expect(prod?.labels).not.toHaveProperty('bbm.promoted-unverified');
  }, 300_000);
});
