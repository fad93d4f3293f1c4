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
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import type { Browser as BidiBrowser, Page as BidiPage } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { BUILDBOT, BUILDBOT_WORKER, control, freePort, login, run, startForeground, stop, until } from '../support/buildbot.js';
import { startTestDevcluster, type TestDevcluster } from '../support/devcluster.js';
import { openRepo } from '../support/git-repo.js';
import { explained, recordPlaywright, recordPuppeteer, type PageRecord } from '../support/page-record.js';
import { BASE_IMAGE, CHROMIUM, FIREFOX, REGISTRY, components, describeWith } from '../support/integration.js';

const d = await describeWith([components.buildbot, components.git, components.docker, components.registry, components.baseImage, components.chromium]);
/** Firefox runs the core flows against the same master (a nested suite: without Firefox only it skips, or fails in CI). */
const withFirefox = await describeWith([components.firefox]);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const PLUGIN = path.join(repoRoot, 'buildbot', 'master', 'console');
const SHOTS = path.join(repoRoot, 'test-output', 'console');
const REPOSITORY = 'bbm-test/console';
const APP_ID = '/bbm-console/web';
const ADMIN_PASSWORD = `pw-${process.pid}-${Date.now()}`;
const DEV_PASSWORD = `dev-${process.pid}-${Date.now()}`;

d('the web console in Chromium (and Firefox) against a real master, worker and devcluster', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let dc: TestDevcluster | undefined;
  /** The second environment (production), promoted into from staging (dc). */
  let prod: TestDevcluster | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  /** What the Chromium page did (console, failed and last requests, websockets): in a failed case's message. */
  let record: PageRecord | undefined;
  let www: string;
  let api: string;
  let sha: string;
  const images: string[] = [];
  /** The build the deploying test put on staging: its number and image. */
  let deployed: { number: number; image: string } | undefined;

  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${api}${p}`);
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return (await res.json()) as T;
  };
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const log = () => path.join(root, 'master', 'twistd.log');
  /** A case that drives the Chromium page: if it fails, its message says what the page did. */
  const chromiumCase = (name: string, run: () => Promise<void>, timeout?: number) =>
    it(name, () => explained(run, async () => record?.report(page.url(), (await page.locator('body').textContent({ timeout: 5_000 })) ?? '') ?? '(no page yet)'), timeout);

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

  type Finished = { number: number; results: number; builderid: number; properties: Record<string, [unknown, string]> };
  /** Waits for a build to complete (REST), and tells its steps when it did not succeed. */
  async function finished(buildid: number): Promise<Finished> {
    const build = await until(
      `build ${buildid} to finish`,
      async () => {
        const b = (await get<{ builds: (Finished & { complete: boolean })[] }>(`/builds/${buildid}?property=*`)).builds[0];
        return b?.complete ? b : undefined;
      },
      300_000,
      log(),
    );
    if (build.results !== 0) {
      const { steps } = await get<{ steps: { name: string; results: number; state_string: string }[] }>(`/builds/${buildid}/steps`);
      throw new Error(`build ${buildid} ended with ${build.results}: ${steps.map((s) => `${s.name}=${s.results} (${s.state_string})`).join(', ')}`);
    }
    return build;
  }
  const builderName = async (builderid: number) => (await get<{ builders: { name: string }[] }>(`/builders/${builderid}`)).builders[0]!.name;
  /** The app as a devcluster's Marathon REST API shows it. */
  const marathonApp = async (url: string) => {
    const res = await fetch(`${url.replace(/\/$/, '')}/v2/apps${APP_ID}`);
    if (!res.ok) throw new Error(`GET ${url} /v2/apps${APP_ID}: ${res.status}`);
    return ((await res.json()) as { app: { version: string; container: { docker: { image: string } }; labels: Record<string, string>; tasksHealthy: number } }).app;
  };
  /** The build page a force dialog opened (it goes there as soon as the build starts). */
  async function openedBuild(): Promise<number> {
    await page.waitForURL(/#\/builds\/\d+$/, { timeout: 120_000 });
    return Number(/#\/builds\/(\d+)$/.exec(page.url())![1]);
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
    [dc, prod] = await Promise.all([startTestDevcluster({ name: `console-${process.pid}` }), startTestDevcluster({ name: `console-prod-${process.pid}` })]);

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
      // Two environments on two devcluster engines: master deploys to staging, production is promoted into.
      environments: { staging: { url: dc.url }, production: { url: prod.url } },
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
          deploy: { app: 'marathon.json', appId: APP_ID, environments: { staging: { branches: ['master'] }, production: { promoteFrom: 'staging' } } },
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
    record = recordPlaywright(page);

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
    await Promise.all([dc?.destroy(), prod?.destroy()]);
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
    // The plugin's settings (Marathon URLs, secret names) are not in what /config shows the browser.
    const shown = await (await fetch(`${www}config`)).text();
    for (const url of [dc!.url, prod!.url]) expect(shown).not.toContain(url.replace(/\/$/, ''));
    // The REST API is Buildbot's, beside the console.
    expect((await get<{ builders: { name: string }[] }>('/builders')).builders.map((b) => b.name)).toContain('app');
  });

  chromiumCase('logs in with Buildbot’s own login and lists the builders', async () => {
    await loginAs('admin', ADMIN_PASSWORD);
    await page.locator('tr[data-builder="app"]').waitFor();
    await shot('builds');
  });

  chromiumCase('forces a build from the form with a branch, a revision and deploy off; the request carries them', async () => {
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

  chromiumCase('shows a forced build with deploy on go green live, steps and logs updating without a reload', async () => {
    const form = await openForm();
    // A loaded master answers late. The Builds page re-reads its builds when the forced build
    // starts, and the form opens the build's page at about that moment: hold the Builds page's
    // answers until the build's page is open (the form's wait for the build waits until one is
    // held), then let them arrive. The build's page must stay, not the Builds table drawn over it
    // (what a clean-clone CI run showed: the build's page never drew its result).
    const held: Route[] = [];
    const buildsList = /\/api\/v2\/builds\?order=-buildid/;
    const formWait = /\/api\/v2\/buildrequests\/\d+\/builds$/;
    await page.route(buildsList, (r) => void held.push(r));
    await page.route(formWait, async (r) => {
      await until('the Builds page to re-read its builds', async () => (held.length ? true : undefined), 30_000).catch(() => {});
      await r.continue();
    });
    await form.getByRole('button', { name: 'Build' }).click();
    await page.waitForURL(/#\/builds\/\d+$/, { timeout: 120_000 });
    const buildid = Number(/#\/builds\/(\d+)$/.exec(page.url())![1]);
    await page.getByRole('heading', { name: 'Steps' }).waitFor();
    await Promise.all([page.unroute(buildsList), page.unroute(formWait)]);
    expect(held.length, 'the Builds page re-read its builds while the form waited').toBeGreaterThan(0);
    for (const r of held) await r.continue().catch(() => {});
    // Mark this document: a reload would lose the mark, so a later match proves a live update.
    await page.evaluate(() => ((globalThis as unknown as { __same: boolean }).__same = true));
    // The page opened when the build started (the form goes there as soon as it exists); a build
    // of this size runs for tens of seconds, so what follows is the page updating itself. Its
    // header needs one answer of the master (the build): 30 s is a deadline for a loaded machine.
    await page.locator('h1 .result').waitFor({ timeout: 30_000 });
    const firstSteps = await page.locator('ol.steps > li').count();
    // A redraw that fails (the master answers 502 once) keeps the page and says so; the next draw
    // (an event, or the page trying again) clears it.
    const buildAnswer = new RegExp(`/api/v2/builds/${buildid}\\?property=`);
    let refused = 0;
    await page.route(buildAnswer, (r) => (refused++ ? r.continue() : r.fulfill({ status: 502, contentType: 'application/json', body: '{"error":"bad gateway (test)"}' })));
    const problem = page.getByRole('alert').filter({ hasText: 'Could not refresh (trying again): bad gateway (test)' });
    await problem.waitFor({ timeout: 60_000 });
    expect(await page.locator('h1 .result').count()).toBe(1);
    await page.unroute(buildAnswer);
    await problem.waitFor({ state: 'hidden', timeout: 30_000 });
    await page.locator('h1 .result', { hasText: 'success' }).waitFor({ timeout: 300_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { __same?: boolean }).__same)).toBe(true);
    expect(await page.locator('ol.steps > li').count()).toBeGreaterThan(firstSteps);
    await expect(page.locator('li[data-step="docker push"] .result').textContent()).resolves.toContain('success');
    // A step's log, read a page at a time.
    await page.locator('li[data-step="deploy to staging"]').getByRole('button', { name: 'Log' }).click();
    await page.locator('li[data-step="deploy to staging"] pre.log').getByText(/healthy/).first().waitFor({ timeout: 30_000 });
    await expect(page.locator('li[data-step="deploy to staging"] .page').textContent()).resolves.toMatch(/^lines 1–\d+ of \d+$/);
    await shot('build');
    const build = (await get<{ builds: { number: number; results: number; properties: Record<string, [unknown, string]> }[] }>(`/builds/${buildid}?property=image`)).builds[0]!;
    expect(build.results).toBe(0);
    if (typeof build.properties.image?.[0] === 'string') {
      images.push(build.properties.image[0]);
      deployed = { number: build.number, image: build.properties.image[0] };
    }
  }, 400_000);

  chromiumCase('shows the deployed app with its build link, commit, health and endpoints', async () => {
    await page.goto(`${www}#/deployments`);
    const app = page.locator(`section[data-environment="staging"] section[data-app="${APP_ID}"]`);
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

  chromiumCase('promotes the deployed app into production from the Deployments page: the promote builder runs green and production runs its digest', async () => {
    expect(deployed, 'the deploying build ran').toBeDefined();
    await page.goto(`${www}#/deployments`);
    const staging = page.locator(`section[data-environment="staging"] section[data-app="${APP_ID}"]`);
    await staging.locator('.health', { hasText: '1/1 healthy' }).waitFor({ timeout: 120_000 });
    const digest = /sha256:[0-9a-f]{64}/.exec((await staging.locator('.digest').textContent()) ?? '')?.[0];
    expect(digest).toBeDefined();
    await staging.getByRole('button', { name: 'Promote' }).click();
    const form = page.locator('dialog[open]');
    await expect(form.getByLabel('Promote into').inputValue()).resolves.toBe('production');
    // The build field suggests what staging runs healthy (the deployments endpoint's promotion route and history).
    const listId = await form.getByLabel(/^Build in staging/).getAttribute('list');
    const offered = await form.locator(`datalist[id="${listId}"] option`).evaluateAll((os) => os.map((o) => [o.getAttribute('value'), o.getAttribute('label')]));
    const answer = async () => (await context.request.get(`${www}bbm/api/deployments`)).text();
    expect(offered[0], `offered ${JSON.stringify(offered)}; the endpoint: ${await answer()}`).toEqual([String(deployed!.number), expect.stringMatching(/running healthy in staging/)]);
    await shot('promote-form');
    await form.getByRole('button', { name: 'Promote' }).click();
    const build = await finished(await openedBuild());
    expect(await builderName(build.builderid)).toBe('app-promote');
    expect(build.properties.environment?.[0]).toBe('production');
    // Marathon (production's devcluster) runs the digest staging runs, labelled with the build that made it.
    const app = await marathonApp(prod!.url);
    expect(app.container.docker.image).toBe(`${REGISTRY}/${REPOSITORY}@${digest}`);
    expect(app.labels).toMatchObject({ 'bbm.project': 'app', 'bbm.environment': 'production', 'bbm.promoted-from': 'staging', 'bbm.build-number': String(deployed!.number) });
    // The page shows it in production with its build link and health.
    await page.goto(`${www}#/deployments`);
    const promoted = page.locator(`section[data-environment="production"] section[data-app="${APP_ID}"]`);
    await promoted.locator('.health', { hasText: '1/1 healthy' }).waitFor({ timeout: 120_000 });
    await expect(promoted.locator('.build a.buildlink').textContent()).resolves.toContain(`#${deployed!.number}`);
    await expect(promoted.locator('.digest').textContent()).resolves.toContain(digest!);
    await shot('promoted');
  }, 400_000);

  chromiumCase('rolls staging back from the Deployments page after a newer build: the rollback builder runs green and Marathon runs the earlier build again', async () => {
    // A newer build deployed to staging (forced from the form, deploy on by default). Its page
    // subscribes late: its startConsuming frames reach the master only once the build has finished
    // (a master slow to register them). The page must still show the result, which no event will
    // tell it any more: it reads the build again once the master has answered its subscriptions.
    let holding = true;
    const late: (() => void)[] = [];
    await page.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => (holding && typeof m === 'string' && /"path":"builds\/\d+\//.test(m) ? late.push(() => server.send(m)) : server.send(m)));
    });
    const form = await openForm();
    await form.getByRole('button', { name: 'Build' }).click();
    const newer = await finished(await openedBuild());
    holding = false;
    expect(late.length, 'the build page subscribed').toBeGreaterThan(0);
    for (const send of late) send();
    await page.locator('h1 .result', { hasText: 'success' }).waitFor({ timeout: 30_000 });
    if (typeof newer.properties.image?.[0] === 'string') images.push(newer.properties.image[0]);
    expect((await marathonApp(dc!.url)).labels['bbm.build-number']).toBe(String(newer.number));

    await page.goto(`${www}#/deployments`);
    const staging = page.locator(`section[data-environment="staging"] section[data-app="${APP_ID}"]`);
    await staging.locator('.build a.buildlink', { hasText: `#${newer.number}` }).waitFor({ timeout: 60_000 });
    await staging.getByRole('button', { name: 'Roll back' }).click();
    const dialog = page.locator('dialog[open]');
    // Roll back pre-selects the environment it was pressed in.
    await expect(dialog.getByLabel('Environment').inputValue()).resolves.toBe('staging');
    await shot('rollback-form');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    const build = await finished(await openedBuild());
    expect(await builderName(build.builderid)).toBe('app-rollback');
    expect(build.properties.environment?.[0]).toBe('staging');
    // Marathon (staging's devcluster) runs the earlier build again, healthy.
    const app = await until(
      'staging to run the earlier build healthy',
      async () => {
        const a = await marathonApp(dc!.url);
        return a.tasksHealthy >= 1 ? a : undefined;
      },
      60_000,
    );
    expect(app.labels['bbm.build-number']).toBe(String(deployed!.number));
    expect(app.container.docker.image).toBe(deployed!.image);
    await page.goto(`${www}#/deployments`);
    await staging.locator('.build a.buildlink', { hasText: `#${deployed!.number}` }).waitFor({ timeout: 60_000 });
    await staging.locator('.health', { hasText: '1/1 healthy' }).waitFor({ timeout: 60_000 });
    await shot('rolled-back');
  }, 600_000);

  chromiumCase('a user without the role sees the master’s refusal', async () => {
    await loginAs('dev', DEV_PASSWORD);
    const form = await openForm();
    await form.getByRole('button', { name: 'Build' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Refused: .*you need to have role/i);
    await shot('refused');
  }, 60_000);

  chromiumCase('works from the keyboard alone and reads without colour: Tab reaches Build, Enter opens the form, Escape closes it; every result is a word', async () => {
    // a fresh page (the refused form above is still open, and a modal keeps the focus inside it)
    await page.goto(`${www}#/builds`);
    await page.reload();
    await page.locator('tr[data-builder="app"]').waitFor();
    // results as a symbol and a word, never colour alone (the builds above left results to show)
    const results = await page.locator('.result').allTextContents();
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r).toMatch(/\b(success|warnings|failure|skipped|exception|retry|cancelled|running|pending)\b/);
    // keyboard only: Tab from the top of the page until the app's Build button has the focus
    const build = page.locator('tr[data-builder="app"]').getByRole('button', { name: 'Build' });
    const focused = (loc: typeof build) => loc.evaluate((el) => el === (el.ownerDocument as unknown as { activeElement: unknown }).activeElement);
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await focused(build);
    }
    expect(reached, 'Tab never reached the Build button').toBe(true);
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    // the focus is inside the form, so typing fills it; Escape closes it
    expect(
      await dialog.evaluate((el) => {
        const e = el as unknown as { contains(n: unknown): boolean; ownerDocument: { activeElement: unknown } };
        return e.contains(e.ownerDocument.activeElement);
      }),
    ).toBe(true);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('dialog[open]') === null, undefined, { timeout: 5_000 });
  }, 60_000);

  // Debian's Firefox ESR driven over WebDriver BiDi (puppeteer-core launches it with
  // --remote-debugging-port and speaks BiDi only; no browser download): the core flows.
  withFirefox('in Firefox ESR over WebDriver BiDi', () => {
    let fx: BidiBrowser | undefined;
    let fp: BidiPage;
    /** What the Firefox page did (console, failed and last requests): in a failed case's message. */
    let fxRecord: PageRecord | undefined;
    /** A case that drives the Firefox page: if it fails, its message says what the page did. */
    const firefoxCase = (name: string, run: () => Promise<void>, timeout?: number) =>
      it(name, () => explained(run, async () => fxRecord?.report(fp.url(), await fp.$eval('body', (b) => b.textContent ?? '')) ?? '(no page yet)'), timeout);
    const fxShot = (name: string) => fp.screenshot({ path: path.join(SHOTS, `firefox-${name}.png`) as `${string}.png`, fullPage: true });
    /** The id of the open dialog's field whose label starts with `label`. */
    const fieldId = (label: string) =>
      fp.$$eval('dialog[open] label', (ls, want) => ls.find((l) => (l.textContent ?? '').startsWith(want))?.getAttribute('for') ?? '', label);
    const text = (selector: string) => fp.$eval(selector, (e) => e.textContent ?? '');

    async function fxLogin(user: string, password: string) {
      await fp.goto(www);
      await fp.waitForSelector('#login-user, #user .who');
      if (await fp.$('#user .who')) {
        await fp.locator('#user button::-p-text(Log out)').click();
        await fp.waitForSelector('#login-user');
      }
      await fp.locator('#login-user').fill(user);
      await fp.locator('#login-password').fill(password);
      await fp.keyboard.press('Enter');
      await fp.waitForFunction(`document.querySelector('#user .who')?.textContent === ${JSON.stringify(`Logged in as ${user}`)}`);
    }

    async function fxOpenForm() {
      await fp.goto(`${www}#/builds`);
      await fp.locator('tr[data-builder="app"] button::-p-text(Build)').click();
      await fp.waitForSelector('dialog[open] form');
    }

    beforeAll(async () => {
      const { default: puppeteer } = await import('puppeteer-core');
      fx = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
      fp = await fx.newPage();
      fxRecord = recordPuppeteer(fp);
      await fp.setViewport({ width: 1200, height: 800 });
    }, 180_000);

    afterAll(async () => {
      await fx?.close();
    });

    firefoxCase('logs in and lists the builders', async () => {
      expect((await fx!.version()).toLowerCase()).toContain('firefox');
      await fxLogin('admin', ADMIN_PASSWORD);
      await fp.goto(`${www}#/builds`);
      await fp.waitForSelector('tr[data-builder="app"]');
      const names = await fp.$$eval('tr[data-builder]', (rows) => rows.map((r) => r.getAttribute('data-builder')));
      expect(names).toEqual(expect.arrayContaining(['app', 'app-promote', 'app-rollback']));
      await fxShot('builds');
    }, 120_000);

    firefoxCase('submits the force form; the master gets the request as the form filled it', async () => {
      const reason = `firefox form ${Date.now()}`;
      await fxOpenForm();
      const deploy = await fieldId('Deploy');
      expect(await fp.$eval(`#${deploy}`, (e) => (e as unknown as { checked: boolean }).checked)).toBe(true);
      await fp.locator(`#${deploy}`).click();
      await fp.locator(`#${await fieldId('Reason')}`).fill(reason);
      await fxShot('force-form');
      await fp.locator('dialog[open] button.primary').click();
      const buildset = await until(
        'the buildset the Firefox form asked for',
        async () => (await get<{ buildsets: { bsid: number; reason: string }[] }>('/buildsets?order=-bsid&limit=5')).buildsets.find((b) => b.reason.includes(reason)),
        60_000,
        log(),
      );
      const { properties } = await get<{ properties: Record<string, [unknown, string]>[] }>(`/buildsets/${buildset.bsid}/properties`);
      expect(properties[0]!.deploy).toEqual([false, 'Force Build Form']);
      // The form goes to the build's page once the build starts; stop the build there (the
      // Chromium tests already ran one to the end).
      await fp.waitForFunction(String.raw`/#\/builds\/\d+$/.test(location.hash)`, { timeout: 120_000 });
      const buildid = Number(/#\/builds\/(\d+)$/.exec(fp.url())![1]);
      // The build's header needs one answer of the master (the build): 30 s is a deadline for a loaded machine.
      await fp.waitForSelector('h1 .result', { timeout: 30_000 });
      const cookie = await login(www, 'admin', ADMIN_PASSWORD);
      expect((await control(api, `builds/${buildid}`, 'stop', { reason: 'the Firefox test only checks the request' }, cookie)).status).toBe(200);
      await until(`build ${buildid} to stop`, async () => ((await get<{ builds: { complete: boolean }[] }>(`/builds/${buildid}`)).builds[0]?.complete ? true : undefined), 120_000, log());
    }, 240_000);

    firefoxCase('a user without the role sees the master’s refusal', async () => {
      await fxLogin('dev', DEV_PASSWORD);
      await fxOpenForm();
      await fp.locator('dialog[open] button.primary').click();
      await fp.waitForSelector('dialog[open] [role="alert"]');
      expect(await text('dialog[open] [role="alert"]')).toMatch(/^Refused: .*you need to have role/i);
      await fxShot('refused');
    }, 120_000);
  });
});
