/**
 * The web console in a real browser (Debian's Chromium driven by playwright-core) against a real
 * Buildbot 3.7 master and worker from Debian, with the console installed as the master's www plugins
 * `base` (at /) and `bbm` (at /bbm/), a real Docker engine and registry, and `bbm devcluster` as the
 * Marathon the builds deploy to. One master, one worker and one browser serve every test of the file.
 *
 * Screenshots of each page go to test-output/console/ (git-ignored) for a person to look at.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { BUILDBOT, BUILDBOT_WORKER, freePort, run, startForeground, stop, until } from '../support/buildbot.js';
import { startTestDevcluster, type TestDevcluster } from '../support/devcluster.js';
import { openRepo } from '../support/git-repo.js';
import { BASE_IMAGE, CHROMIUM, REGISTRY, components, describeWith } from '../support/integration.js';

const d = await describeWith([components.buildbot, components.git, components.docker, components.registry, components.baseImage, components.chromium]);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const PLUGIN = path.join(repoRoot, 'buildbot', 'master', 'console');
const SHOTS = path.join(repoRoot, 'test-output', 'console');
const REPOSITORY = 'bbm-test/console';
const APP_ID = '/bbm-console/web';
const ADMIN_PASSWORD = `pw-${process.pid}-${Date.now()}`;
const DEV_PASSWORD = `dev-${process.pid}-${Date.now()}`;

d('the web console in Chromium against a real master, worker and devcluster', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let dc: TestDevcluster | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let www: string;
  let api: string;
  let sha: string;
  const images: string[] = [];

  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${api}${p}`);
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return (await res.json()) as T;
  };
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const log = () => path.join(root, 'master', 'twistd.log');

  async function loginAs(user: string, password: string) {
    await page.goto(www);
    if (await page.getByRole('button', { name: 'Log out' }).isVisible()) {
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByLabel('User').waitFor();
    }
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.getByText(`Logged in as ${user}`).waitFor();
  }

  /** Opens the builder's force form from the Builds page. */
  async function openForm() {
    await page.goto(`${www}#/builds`);
    await page.locator('tr[data-builder="app"]').getByRole('button', { name: 'Build' }).click();
    return page.locator('dialog[open]');
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    root = mkdtempSync(path.join(tmpdir(), 'bbm-console-'));
    const [wwwPort, pbPort] = [await freePort(), await freePort()];
    www = `http://127.0.0.1:${wwwPort}/`;
    api = `${www}api/v2`;
    dc = await startTestDevcluster({ name: `console-${process.pid}` });

    // The project: a Dockerfile on the busybox base; its app serves a page with httpd.
    const bare = path.join(root, 'app.git');
    run('git', ['init', '-q', '--bare', '-b', 'master', bare]);
    const wc = openRepo(path.join(root, 'wc'));
    run('git', ['clone', '-q', bare, wc.dir]);
    writeFileSync(path.join(wc.dir, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nLABEL bbm.test=console\n');
    writeFileSync(
      path.join(wc.dir, 'marathon.json'),
      JSON.stringify({
        id: APP_ID,
        cmd: 'mkdir -p /www && echo "build ${buildNumber}" > /www/index.html && exec httpd -f -p 8080 -h /www',
        instances: 1,
        cpus: 0.1,
        mem: 32,
        networks: [{ mode: 'container/bridge' }],
        container: { type: 'DOCKER', docker: { image: '${image}' }, portMappings: [{ containerPort: 8080, hostPort: 0, servicePort: 0, protocol: 'tcp' }] },
        healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3 }],
      }),
    );
    wc.git('add', '-A');
    wc.commit('first');
    wc.git('tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
    wc.git('push', '-q', 'origin', 'master', '--tags');
    sha = wc.git('rev-parse', 'HEAD');

    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    chmodSync(secrets, 0o700);
    const workerPassword = `wp-${process.pid}-${Date.now()}`;
    writeFileSync(path.join(secrets, 'worker-w1'), workerPassword, { mode: 0o600 });
    writeFileSync(path.join(root, 'htpasswd'), `admin:${ADMIN_PASSWORD}\ndev:${DEV_PASSWORD}\n`, { mode: 0o600 });

    const config = resolveConfig({
      registry: REGISTRY,
      marathon: { url: dc.url },
      buildbot: {
        url: www,
        version: '3.7',
        title: 'bbm console test',
        workers: [{ name: 'w1', maxBuilds: 2 }],
        www: { address: '127.0.0.1', port: wwwPort, auth: { htpasswd: path.join(root, 'htpasswd') }, roles: { admins: ['admin'] } },
        workerAddress: '127.0.0.1',
        workerPort: pbPort,
        secretsDir: secrets,
      },
      changeSources: { pollInterval: 0 },
      projects: [
        {
          name: 'app',
          repo: bare,
          type: 'docker',
          branches: ['master'],
          repository: REPOSITORY,
          buildArgs: { BASE: BASE_IMAGE },
          deploy: { branches: ['master'], app: 'marathon.json' },
        },
      ],
    });
    const masterDir = path.join(root, 'master');
    const cleanEnv = { PATH: '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8' };
    run(BUILDBOT, ['create-master', '-q', masterDir], { env: cleanEnv });
    writeFileSync(path.join(masterDir, 'master.cfg'), renderConfig(config, 'ci.config.ts'));
    // The console plugin from this repository (both entry points: `base` and `bbm`), first on sys.path.
    const tac = path.join(masterDir, 'buildbot.tac');
    writeFileSync(tac, `import sys; sys.path.insert(0, ${JSON.stringify(PLUGIN)})\n${readFileSync(tac, 'utf8')}`);
    master = startForeground(BUILDBOT, masterDir, cleanEnv);

    const shim = path.join(root, 'bin');
    mkdirSync(shim);
    writeFileSync(path.join(shim, 'bbm'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'dist', 'cli.js'))} "$@"\n`, { mode: 0o755 });
    const workerDir = path.join(root, 'worker');
    run(BUILDBOT_WORKER, ['create-worker', '-q', workerDir, `127.0.0.1:${pbPort}`, 'w1', 'placeholder'], { env: cleanEnv });
    const wtac = path.join(workerDir, 'buildbot.tac');
    writeFileSync(wtac, readFileSync(wtac, 'utf8').replace("passwd = 'placeholder'", `passwd = ${JSON.stringify(workerPassword)}`));
    worker = startForeground(BUILDBOT_WORKER, workerDir, { PATH: `${shim}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: root, LANG: 'C.UTF-8' });

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    page = await context.newPage();

    await until(
      'the worker to connect',
      async () => {
        const { workers } = await get<{ workers: { name: string; connected_to: unknown[] }[] }>('/workers');
        return workers.find((w) => w.name === 'w1' && w.connected_to.length > 0);
      },
      300_000,
      log(),
    );
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await stop(worker);
    await stop(master);
    await dc?.destroy();
    for (const image of images) spawnSync('docker', ['image', 'rm', image], { stdio: 'ignore' });
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('is served at / and /bbm/ by the master; deployments are refused to anonymous users', async () => {
    for (const url of [www, `${www}bbm/`]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      expect(await res.text()).toContain('console.js');
    }
    const anonymous = await fetch(`${www}bbm/api/deployments`);
    expect(anonymous.status).toBe(401);
    // The REST API is Buildbot's, beside the console.
    expect((await get<{ builders: { name: string }[] }>('/builders')).builders.map((b) => b.name)).toContain('app');
  });

  it('logs in with Buildbot’s own login and lists the builders', async () => {
    await loginAs('admin', ADMIN_PASSWORD);
    await page.locator('tr[data-builder="app"]').waitFor();
    await shot('builds');
  });

  it('forces a build from the form with a branch, a revision and deploy off; the request carries them', async () => {
    const form = await openForm();
    await expect(form.getByLabel(/^Branch/).inputValue()).resolves.toBe('');
    await form.getByLabel(/^Branch/).fill('master');
    await form.getByLabel(/^Revision/).fill(sha);
    await form.getByLabel(/^Deploy/).uncheck();
    await form.getByLabel('Reason').fill('console form test');
    await shot('force-form');
    // The master's answer to the form's JSON-RPC call names the buildset (the dialog shows it only
    // until the build starts, which can be at once).
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v2/forceschedulers/') && r.request().method() === 'POST'),
      form.getByRole('button', { name: 'Build' }).click(),
    ]);
    const rpc = (await answer.json()) as { result?: [number, Record<string, number>] };
    expect(rpc.result, JSON.stringify(rpc)).toBeDefined();
    const bsid = rpc.result![0];

    const { buildsets } = await get<{ buildsets: { sourcestamps: { branch: string; revision: string }[] }[] }>(`/buildsets/${bsid}`);
    expect(buildsets[0]!.sourcestamps[0]).toMatchObject({ branch: 'master', revision: sha });
    const { properties } = await get<{ properties: Record<string, [unknown, string]>[] }>(`/buildsets/${bsid}/properties`);
    expect(properties[0]!.deploy).toEqual([false, 'Force Build Form']);
    expect(properties[0]!.reason).toEqual(['console form test', 'Force Build Form']);
    // The form goes to the build's page once the build starts.
    await page.waitForURL(/#\/builds\/\d+$/, { timeout: 120_000 });
  }, 200_000);

  it('shows a forced build with deploy on go green live, steps and logs updating without a reload', async () => {
    const form = await openForm();
    await form.getByRole('button', { name: 'Build' }).click();
    await page.waitForURL(/#\/builds\/\d+$/, { timeout: 120_000 });
    const buildid = Number(/#\/builds\/(\d+)$/.exec(page.url())![1]);
    // Mark this document: a reload would lose the mark, so a later match proves a live update.
    await page.evaluate(() => ((globalThis as unknown as { __same: boolean }).__same = true));
    // The page opened when the build started (the form goes there as soon as it exists); a build
    // of this size runs for tens of seconds, so what follows is the page updating itself.
    await page.locator('h1 .result').waitFor();
    const firstSteps = await page.locator('ol.steps > li').count();
    await page.locator('h1 .result', { hasText: 'success' }).waitFor({ timeout: 300_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { __same?: boolean }).__same)).toBe(true);
    expect(await page.locator('ol.steps > li').count()).toBeGreaterThan(firstSteps);
    await expect(page.locator('li[data-step="docker push"] .result').textContent()).resolves.toContain('success');
    // A step's log, read a page at a time.
    await page.locator('li[data-step="deploy"]').getByRole('button', { name: 'Log' }).click();
    await page.locator('li[data-step="deploy"] pre.log').getByText(/healthy/).first().waitFor({ timeout: 30_000 });
    await expect(page.locator('li[data-step="deploy"] .page').textContent()).resolves.toMatch(/^lines 1–\d+ of \d+$/);
    await shot('build');
    const build = (await get<{ builds: { results: number; properties: Record<string, [unknown, string]> }[] }>(`/builds/${buildid}?property=image`)).builds[0]!;
    expect(build.results).toBe(0);
    if (typeof build.properties.image?.[0] === 'string') images.push(build.properties.image[0]);
  }, 400_000);

  it('shows the deployed app with its build link, commit, health and endpoints', async () => {
    await page.goto(`${www}#/deployments`);
    const app = page.locator(`section[data-environment="default"] section[data-app="${APP_ID}"]`);
    await app.locator('.health', { hasText: '1/1 healthy' }).waitFor({ timeout: 120_000 });
    const link = app.locator('.build a.buildlink');
    expect(await link.getAttribute('href')).toMatch(new RegExp(`^${www.replace(/[.]/g, '\\.')}#/?builders/\\d+/builds/\\d+$`));
    await expect(app.locator('dd', { hasText: sha }).count()).resolves.toBeGreaterThan(0);
    await expect(app.locator('.endpoints').textContent()).resolves.toMatch(/→ 127\.0\.0\.1:\d+/);
    await expect(app.locator('.digest').textContent()).resolves.toMatch(/sha256:[0-9a-f]{64}/);
    await shot('deployments');
    // The build link opens that build in the console.
    await link.click();
    await page.locator('h1 .result', { hasText: 'success' }).waitFor();
    // Marathon's URL never reaches the browser.
    const body = await (await context.request.get(`${www}bbm/api/deployments`)).text();
    expect(body).not.toContain(dc!.url.replace(/\/$/, ''));
  }, 200_000);

  it('a user without the role sees the master’s refusal', async () => {
    await loginAs('dev', DEV_PASSWORD);
    const form = await openForm();
    await form.getByRole('button', { name: 'Build' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Refused: .*you need to have role/i);
    await shot('refused');
  }, 60_000);
});
