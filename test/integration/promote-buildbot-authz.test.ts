/**
 * Promotion from Buildbot, end to end: a generated master.cfg on Debian's real Buildbot master and
 * worker (the worker runs the real `bbm`), two `bbm devcluster` engines (staging; production behind
 * basic auth, its credentials from the master's secrets) and the local registry. A push to the deploy
 * branch builds, pushes and deploys to staging only; the promote and rollback builders carry their
 * tags and force forms; a non-admin who may force ordinary builds is refused the promotion by the
 * master; an admin's force (the UI's JSON-RPC call) runs `bbm promote` on the worker, and production
 * then runs the identical digest the registry stores for the staging build's tag. The master runs the
 * web console's plugin: its deployments endpoint lists each app in its environment (label
 * bbm.environment) and names the promotion, and the build it shows running healthy in staging is
 * what the promote form suggests. One master, one worker and the two engines serve every test here.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { promotionCandidates, type AppWithHistory } from '../../src/promote/candidates.js';
import { control, freePort, login, run, startMaster, startWorker, stop, until, type Build, type Props, type Step } from '../support/buildbot.js';
import { startTestDevcluster, type TestDevcluster } from '../support/devcluster.js';
import { openRepo } from '../support/git-repo.js';
import { BASE_IMAGE, REGISTRY, components, describeWith } from '../support/integration.js';
import { registryDigest } from '../support/registry.js';

const d = await describeWith([components.buildbot, components.git, components.docker, components.registry, components.baseImage]);
const stamp = `${process.pid}-${Date.now()}`;
const PASSWORDS = { admin: `adm-${stamp}`, dev: `dev-${stamp}`, worker: `wp-${stamp}`, production: `prod-${stamp}` };
const REPOSITORY = 'bbm-test/promote-buildbot';


/** The app definition template in the project's repository: one for both environments. */
const TEMPLATE = {
  id: '/hello',
  cmd: 'mkdir -p /www && echo "${env} build ${buildNumber}" > /www/index.html && exec httpd -f -p 8080 -h /www',
  instances: 1,
  cpus: 0.1,
  mem: 32,
  networks: [{ mode: 'container/bridge' }],
  container: { type: 'DOCKER', docker: { image: '${image}' }, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }] },
  healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 15, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 2, delaySeconds: 1 }],
  taskKillGracePeriodSeconds: 2,
};

d('promotion from a real Buildbot master and worker between two devcluster engines', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let staging: TestDevcluster | undefined;
  let production: TestDevcluster | undefined;
  let www: string;
  let api: string;
  const cookies: Record<string, string> = {};
  const images: string[] = [];
  const get = async <T>(p: string, cookie = ''): Promise<T> => (await (await fetch(`${api}${p}`, { headers: cookie ? { Cookie: cookie } : {} })).json()) as T;
  const builderId = async (name: string) => (await get<{ builders: { builderid: number }[] }>(`/builders?name=${name}`)).builders[0]!.builderid;
  const stepsOf = async (buildid: number) => (await get<{ steps: Step[] }>(`/builds/${buildid}/steps`)).steps;
  const deployments = async () => {
    const res = await fetch(`${www}bbm/api/deployments`, { headers: { Cookie: cookies.admin! } });
    expect(res.status).toBe(200);
    return (await res.json()) as { environments: { name: string; apps: AppWithHistory[] }[]; promotions: unknown[] };
  };
  const masterLog = () => path.join(root, 'master', 'twistd.log');
  const stagingApps = () => new MarathonClient({ url: staging!.url });
  const productionApps = () => new MarathonClient({ url: production!.url, auth: { kind: 'basic', user: 'ops', password: PASSWORDS.production } });

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-promote-buildbot-'));
    const [wwwPort, pbPort] = [await freePort(), await freePort()];
    www = `http://127.0.0.1:${wwwPort}/`;
    api = `${www}api/v2`;
    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    chmodSync(secrets, 0o700);
    for (const [name, value] of [['worker-w1', PASSWORDS.worker], ['prod-user', 'ops'], ['prod-password', PASSWORDS.production]] as const) writeFileSync(path.join(secrets, name), value, { mode: 0o600 });
    writeFileSync(path.join(root, 'htpasswd'), `admin:${PASSWORDS.admin}\ndev:${PASSWORDS.dev}\n`, { mode: 0o600 });
    const authFile = path.join(root, 'production-auth');
    writeFileSync(authFile, `ops:${PASSWORDS.production}\n`, { mode: 0o600 });
    [staging, production] = await Promise.all([
      startTestDevcluster({ name: `promote-bb-st-${process.pid}` }),
      startTestDevcluster({ name: `promote-bb-pr-${process.pid}`, args: ['--auth-file', authFile] }),
    ]);

    // The project: a Dockerfile and the app definition template, one commit on master.
    const bare = path.join(root, 'hello.git');
    run('git', ['init', '-q', '--bare', '-b', 'master', bare]);
    const wc = openRepo(path.join(root, 'wc'));
    run('git', ['clone', '-q', bare, wc.dir]);
    writeFileSync(path.join(wc.dir, 'Dockerfile'), `ARG BASE\nFROM \${BASE}\nLABEL bbm.test=promote-buildbot-${stamp}\n`);
    writeFileSync(path.join(wc.dir, 'marathon.json'), JSON.stringify(TEMPLATE, null, 2));
    wc.git('add', '-A');
    wc.commit('first');
    wc.git('push', '-q', 'origin', 'master');

    const config = resolveConfig({
      registry: REGISTRY,
      environments: {
        staging: { url: staging.url, appIdPrefix: '/staging' },
        production: { url: production.url, userSecret: 'prod-user', passwordSecret: 'prod-password' },
      },
      buildbot: {
        url: www,
        version: '3.7',
        workers: [{ name: 'w1' }],
        www: { address: '127.0.0.1', port: wwwPort, auth: { htpasswd: path.join(root, 'htpasswd') }, roles: { admins: ['admin'], devs: ['dev'] }, allow: { force: ['admins', 'devs'] } },
        workerAddress: '127.0.0.1',
        workerPort: pbPort,
        secretsDir: secrets,
      },
      changeSources: { pollInterval: 2 },
      projects: [
        {
          name: 'hello',
          repo: bare,
          type: 'docker',
          branches: ['master'],
          repository: REPOSITORY,
          buildArgs: { BASE: BASE_IMAGE },
          deploy: { app: 'marathon.json', environments: { staging: { branches: ['master'] }, production: { promoteFrom: 'staging', labels: { tier: 'prod' } } } },
        },
      ],
    });
    const cfg = renderConfig(config, 'ci.config.ts');
    for (const secret of Object.values(PASSWORDS)) expect(cfg).not.toContain(secret);
    master = await startMaster(root, cfg, www, { console: true });
    worker = startWorker(root, pbPort, 'w1', PASSWORDS.worker);
    cookies.admin = await login(www, 'admin', PASSWORDS.admin);
    cookies.dev = await login(www, 'dev', PASSWORDS.dev);
    await until(
      'the worker to connect',
      async () => (await get<{ workers: { name: string; connected_to: unknown[] }[] }>('/workers')).workers.find((w) => w.name === 'w1' && w.connected_to.length > 0),
      120_000,
      masterLog(),
    );
  }, 240_000);

  afterAll(async () => {
    await stop(worker);
    await stop(master);
    await Promise.all([staging?.destroy(), production?.destroy()]);
    // the images these builds made in the local engine (the registry keeps its tags)
    for (const image of images) spawnSync('docker', ['image', 'rm', image], { stdio: 'ignore' });
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('the promote and rollback builders exist (untagged: tags are the config\'s) and their force forms offer the target environment and a build field', async () => {
    const builders = (await get<{ builders: { name: string; tags: string[] }[] }>('/builders')).builders;
    expect(builders.find((b) => b.name === 'hello-promote')?.tags).toEqual([]);
    expect(builders.find((b) => b.name === 'hello-rollback')?.tags).toEqual([]);
    const scheds = (await get<{ forceschedulers: { name: string; builder_names: string[]; all_fields: unknown[] }[] }>('/forceschedulers', cookies.admin)).forceschedulers;
    const promote = scheds.find((s) => s.name === 'promote-hello');
    expect(promote?.builder_names).toEqual(['hello-promote']);
    const fields = JSON.stringify(promote?.all_fields);
    expect(fields).toContain('"name":"environment"');
    expect(fields).toContain('"choices":["production"]');
    expect(fields).toContain('"name":"source_build"');
    expect(scheds.find((s) => s.name === 'rollback-hello')?.builder_names).toEqual(['hello-rollback']);
  });

  it('a push to the deploy branch builds, pushes and deploys to staging only (labelled staging); production has no app', async () => {
    // The poller's first look records the heads without building: push only after it happened.
    await until('the first poll', async () => (readFileSync(masterLog(), 'utf8').includes('gitpoller: processing changes from') ? true : undefined), 120_000, masterLog());
    const wc = openRepo(path.join(root, 'wc'));
    writeFileSync(path.join(wc.dir, 'README'), 'second\n');
    wc.git('add', 'README');
    const sha = wc.commit('second');
    wc.git('push', '-q', 'origin', 'master');

    const hello = await builderId('hello');
    const build = await until(
      'the build of the pushed commit',
      async () => (await get<{ builds: (Build & { properties: Props })[] }>(`/builders/${hello}/builds?property=*`)).builds.find((b) => b.complete && b.properties.revision?.[0] === sha),
      300_000,
      masterLog(),
    );
    const image = build.properties.image?.[0] as string;
    images.push(image);
    const steps = await stepsOf(build.buildid);
    expect(build.results, JSON.stringify(steps)).toBe(0);
    expect(steps.find((s) => s.name === 'deploy to staging')?.results).toBe(0);
    expect(steps.some((s) => s.name.includes('production'))).toBe(false);

    const app = await stagingApps().getApp('/staging/hello');
    expect(app?.container?.docker?.image).toBe(image);
    expect(app?.labels).toMatchObject({ 'bbm.environment': 'staging', 'bbm.project': 'hello', 'bbm.build-number': String(build.number), 'bbm.commit': sha });
    expect(await productionApps().getApp('/hello')).toBeNull();
  }, 400_000);

  it("a non-admin is refused the promotion by the master; an admin's force runs bbm promote on the worker and production runs the staging build's digest", async () => {
    const promoteId = await builderId('hello-promote');
    const params = { builderid: String(promoteId), reason: 'release', environment: 'production', source_build: '' };
    const refused = await control(api, 'forceschedulers/promote-hello', 'force', params, cookies.dev);
    expect(refused.status, refused.body).toBe(403);
    const anonymous = await control(api, 'forceschedulers/promote-hello', 'force', params);
    expect(anonymous.status, anonymous.body).toBe(403);
    const rollbackRefused = await control(api, 'forceschedulers/rollback-hello', 'force', { builderid: String(await builderId('hello-rollback')), reason: 'x', environment: 'production' }, cookies.dev);
    expect(rollbackRefused.status, rollbackRefused.body).toBe(403);
    expect(await productionApps().getApp('/hello')).toBeNull();

    // The build field takes a build number or nothing: the master refuses anything else.
    const bad = await control(api, 'forceschedulers/promote-hello', 'force', { ...params, source_build: '1;x' }, cookies.admin);
    expect(bad.body).toMatch(/does not match pattern/);

    const before = await stagingApps().getApp('/staging/hello');
    const sourceTag = (before?.container?.docker?.image ?? '').split(':').at(-1)!;
    // What the promote form can suggest: the build that runs healthy in staging, from the console's endpoint.
    const seen = await deployments();
    expect(seen.promotions).toEqual([{ project: 'hello', to: 'production', from: 'staging', sourceAppId: '/staging/hello', targetAppId: '/hello' }]);
    const source = seen.environments.find((e) => e.name === 'staging')?.apps.find((a) => a.id === '/staging/hello');
    expect(promotionCandidates(source).map((c) => [c.build, c.image, c.running])).toEqual([[before?.labels?.['bbm.build-number'], before?.container?.docker?.image, true]]);
    const allowed = await control(api, 'forceschedulers/promote-hello', 'force', params, cookies.admin);
    expect(allowed.status, allowed.body).toBe(200);
    const brid = (JSON.parse(allowed.body) as { result: [number, Record<string, number>] }).result[1][String(promoteId)]!;
    const build = await until('the promotion', async () => (await get<{ builds: Build[] }>(`/buildrequests/${brid}/builds`)).builds.find((b) => b.complete), 300_000, masterLog());
    const steps = await stepsOf(build.buildid);
    expect(build.results, JSON.stringify(steps)).toBe(0);
    for (const name of ['find source', 'checkout', 'template of the source build', 'promote']) expect(steps.find((s) => s.name === name)?.results, name).toBe(0);
    const props = (await get<{ properties: Props[] }>(`/builds/${build.buildid}/properties`)).properties[0]!;
    expect(props.environment?.[0]).toBe('production');

    // The identical image: the digest the registry stores for the staging build's tag.
    const digest = await registryDigest(REPOSITORY, sourceTag);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const prod = await productionApps().getApp('/hello');
    expect(prod?.container?.docker?.image).toBe(`${REGISTRY}/${REPOSITORY}@${digest}`);
    expect(prod?.labels).toMatchObject({
      'bbm.environment': 'production',
      'bbm.promoted-from': 'staging',
      'bbm.build-number': before?.labels?.['bbm.build-number'],
      'bbm.commit': before?.labels?.['bbm.commit'],
      tier: 'prod',
    });
    const promotionUrl = prod?.labels?.['bbm.promotion-url'] ?? '';
    expect(promotionUrl.startsWith(www) && promotionUrl.endsWith(`builders/${promoteId}/builds/${build.number}`), promotionUrl).toBe(true);
    // staging untouched
    const after = await stagingApps().getApp('/staging/hello');
    expect(after?.version).toBe(before?.version);
    // Each environment's page lists its app, by the label bbm.environment.
    const listed = (await deployments()).environments.map((e) => [e.name, e.apps.map((a) => [a.id, a.labels?.['bbm.environment']])]);
    expect(listed).toEqual([['staging', [['/staging/hello', 'staging']]], ['production', [['/hello', 'production']]]]);

    // The same non-admin may force the project's ordinary build (deploy unticked: nothing moves).
    const hello = await builderId('hello');
    const ordinary = await control(api, 'forceschedulers/force', 'force', { builderid: String(hello), reason: 'x', branch: 'master', revision: '', project: '', repository: '', deploy: false }, cookies.dev);
    expect(ordinary.status, ordinary.body).toBe(200);
    const obrid = (JSON.parse(ordinary.body) as { result: [number, Record<string, number>] }).result[1][String(hello)]!;
    const ob = await until('the ordinary build', async () => (await get<{ builds: Build[] }>(`/buildrequests/${obrid}/builds`)).builds.find((b) => b.complete), 300_000, masterLog());
    const oprops = (await get<{ properties: Props[] }>(`/builds/${ob.buildid}/properties`)).properties[0]!;
    if (typeof oprops.image?.[0] === 'string') images.push(oprops.image[0]);
    expect(ob.results).toBe(0);
    expect((await stagingApps().getApp('/staging/hello'))?.version).toBe(before?.version);
  }, 400_000);
});
