/**
 * A generated master.cfg on a real Buildbot 3.7 master and worker: a pushed commit builds, and a
 * forced build (the web UI's JSON-RPC call) carries its parameters into the build. One master and
 * one worker serve both tests. The worker runs the real `bbm` (dist/cli.js) through a PATH shim,
 * with a clean environment, so tag, build (real Docker engine) and push (local registry) really
 * run; the deploy step exists but neither build may deploy, which is what the tests check.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { BUILDBOT, BUILDBOT_WORKER, control, freePort, login, run, startForeground, stop, until, writeWwwStub, type Build, type Props, type Step } from '../support/buildbot.js';
import { HOSTILE_BRANCHES } from '../support/generate-config.js';
import { openRepo } from '../support/git-repo.js';
import { startTestDevcluster, type TestDevcluster } from '../support/devcluster.js';
import { startFakeForge, type FakeForge } from '../support/fake-forge.js';
import { BASE_IMAGE, REGISTRY, components, describeWith } from '../support/integration.js';

const d = await describeWith([components.buildbot, components.git, components.docker, components.registry, components.baseImage]);
/** Where the test builds push (overwritten by every run). */
const REPOSITORY = 'bbm-test/generate-run';
const repoRoot = path.resolve(import.meta.dirname, '../..');
/** Git accepts it; it carries quotes, `$(…)` and `'''`. Built on every change, never deployed. */
const HOSTILE = HOSTILE_BRANCHES[0]!;
const ADMIN_PASSWORD = `pw-${process.pid}-${Date.now()}`;
const GITHUB_HOOK_SECRET = `hook-${process.pid}-${Date.now()}`;
const GITHUB_TOKEN = `ghtok-${process.pid}-${Date.now()}`;
const GITLAB_HOOK_SECRET = `glhook-${process.pid}-${Date.now()}`;
const GITLAB_TOKEN = `gltok-${process.pid}-${Date.now()}`;
/** The `lab` project's repository as GitLab would name it; git on the master and worker read it as the local bare repository (insteadOf). */
const LAB_REPO = 'https://gitlab.example.invalid/group/lab.git';


d('a generated master.cfg on a real Buildbot master and worker', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let api: string;
  let www: string;
  let builderid: number;
  /** A local stand-in for GitHub's and GitLab's commit status APIs. */
  let forge: FakeForge;
  /** The deploy target of the `web` project (newest-wins test). */
  let dc: TestDevcluster;

  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${api}${p}`);
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return (await res.json()) as T;
  };

  /** The finished build for a predicate on its properties. */
  const finishedBuild = (what: string, match: (props: Props) => boolean) =>
    until(
      what,
      async () => {
        const { builds } = await get<{ builds: (Build & { properties: Props })[] }>(`/builders/${builderid}/builds?property=*`);
        const b = builds.find((x) => x.complete && match(x.properties));
        return b;
      },
      300_000,
      path.join(root, 'master', 'twistd.log'),
    );

  const stepsOf = async (buildid: number) => (await get<{ steps: Step[] }>(`/builds/${buildid}/steps`)).steps;
  const logOf = async (buildid: number, step: string) => {
    const number = (await stepsOf(buildid)).find((s) => s.name === step)!.number;
    return (await fetch(`${api}/builds/${buildid}/steps/${number}/logs/stdio/raw`)).text();
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-buildbot-run-'));
    const [wwwPort, pbPort] = [await freePort(), await freePort()];
    www = `http://127.0.0.1:${wwwPort}/`;
    api = `${www}api/v2`;

    // The project: a tiny Node package (type `auto` → detected as node), with a tag for `git describe`.
    const bare = path.join(root, 'app.git');
    run('git', ['init', '-q', '--bare', '-b', 'master', bare]);
    const wc = openRepo(path.join(root, 'wc'));
    run('git', ['clone', '-q', bare, wc.dir]);
    writeFileSync(path.join(wc.dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, scripts: { test: 'node test.js' } }));
    writeFileSync(
      path.join(wc.dir, 'package-lock.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0' } } }),
    );
    writeFileSync(path.join(wc.dir, 'test.js'), "console.log('app tests passed');\n");
    writeFileSync(path.join(wc.dir, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nCOPY test.js /app/test.js\nLABEL bbm.test=generate-run\n');
    wc.git('add', '-A');
    wc.commit('first');
    wc.git('tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
    wc.git('push', '-q', 'origin', 'master', '--tags');

    // Secrets (files, 600 in a 700 dir) and the login file; none of them appear in master.cfg.
    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    chmodSync(secrets, 0o700);
    const workerPassword = `wp-${process.pid}-${Date.now()}`;
    writeFileSync(path.join(secrets, 'worker-w1'), workerPassword, { mode: 0o600 });
    writeFileSync(path.join(secrets, 'github-hook'), GITHUB_HOOK_SECRET, { mode: 0o600 });
    writeFileSync(path.join(secrets, 'github-token'), GITHUB_TOKEN, { mode: 0o600 });
    writeFileSync(path.join(secrets, 'gitlab-hook'), GITLAB_HOOK_SECRET, { mode: 0o600 });
    writeFileSync(path.join(secrets, 'gitlab-token'), GITLAB_TOKEN, { mode: 0o600 });
    // git of the master and the worker (HOME is root for both) fetch LAB_REPO from the bare repository.
    writeFileSync(path.join(root, '.gitconfig'), `[url ${JSON.stringify(bare)}]\n\tinsteadOf = ${LAB_REPO}\n`);
    forge = await startFakeForge();
    dc = await startTestDevcluster({ name: `bbidioms-run-${process.pid}` });
    writeFileSync(path.join(root, 'htpasswd'), `admin:${ADMIN_PASSWORD}\n`, { mode: 0o600 });

    const config = resolveConfig({
      registry: REGISTRY,
      marathon: { url: dc.url },
      buildbot: {
        url: www,
        title: 'bbm test',
        version: '3.7',
        workers: [{ name: 'w1', maxBuilds: 2 }],
        www: { address: '127.0.0.1', port: wwwPort, auth: { htpasswd: path.join(root, 'htpasswd') }, roles: { admins: ['admin'] } },
        workerAddress: '127.0.0.1',
        workerPort: pbPort,
        secretsDir: secrets,
      },
      // The repository reports pushes by webhook AND is polled: each push must still build once.
      changeSources: { pollInterval: 2, github: { secret: 'github-hook' }, gitlab: { secret: 'gitlab-hook' } },
      status: { github: { tokenSecret: 'github-token', url: forge.url }, gitlab: { tokenSecret: 'gitlab-token', url: forge.url } },
      // Deploys only from master; neither test's build may deploy (hostile branch; deploy off).
      projects: [
        {
          name: 'app',
          repo: bare,
          type: 'auto',
          branches: ['master', HOSTILE, 'feature'],
          webhook: 'github',
          poll: true,
          repository: REPOSITORY,
          buildArgs: { BASE: BASE_IMAGE },
          deploy: { branches: ['master'], app: 'marathon.json' },
          tags: ['team:web', 'node'],
        },
        // Its worker has no working `bbm` (the shim below fails in this builder's folder): the
        // failing layout step must be a red, visible step with its log, the build FAILURE.
        // Deploys its branch `release` to the devcluster: newest wins there.
        { name: 'web', repo: bare, type: 'docker', branches: ['release'], repository: `${REPOSITORY}-web`, buildArgs: { BASE: BASE_IMAGE }, deploy: { branches: ['release'], app: 'marathon.json', appId: '/bbidioms/web' } },
        // The same branch with buildEveryCommit: every commit builds, newest still wins the deploy.
        {
          name: 'every', repo: bare, type: 'docker', branches: ['release'], buildEveryCommit: true, repository: `${REPOSITORY}-every`,
          buildArgs: { BASE: BASE_IMAGE }, deploy: { branches: ['release'], app: 'every.json', appId: '/bbidioms/every' },
        },
        { name: 'broken', repo: bare, type: 'python', branches: ['broken-only'], repository: `${REPOSITORY}-broken` },
        // Reported by GitLab's webhook (not polled), statuses to GitLab; a gradle project (its wrapper
        // is a stand-in script) that deploys its branch `lab` to the devcluster.
        {
          name: 'lab', repo: LAB_REPO, type: 'gradle', webhook: 'gitlab', branches: ['lab', 'lab-topic'], repository: `${REPOSITORY}-lab`,
          buildArgs: { BASE: BASE_IMAGE }, deploy: { branches: ['lab'], app: 'marathon.json', appId: '/bbidioms/lab' },
        },
      ],
    });
    const masterCfg = renderConfig(config, 'ci.config.ts');
    expect(masterCfg).not.toContain(workerPassword);
    expect(masterCfg).not.toContain(ADMIN_PASSWORD);
    expect(masterCfg).not.toContain(GITHUB_TOKEN);
    expect(masterCfg).not.toContain(GITLAB_TOKEN);

    // Master, with the stub `base` www plugin first on its sys.path (test-only; buildbot/buildbot master/buildbot/www/service.py wants a `base` app).
    const masterDir = path.join(root, 'master');
    const cleanEnv = { PATH: '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8' };
    run(BUILDBOT, ['create-master', '-q', masterDir], { env: cleanEnv });
    writeFileSync(path.join(masterDir, 'master.cfg'), masterCfg);
    const stub = writeWwwStub(path.join(root, 'wwwstub'));
    const tac = path.join(masterDir, 'buildbot.tac');
    writeFileSync(tac, `import sys; sys.path.insert(0, ${JSON.stringify(stub)})\n${readFileSync(tac, 'utf8')}`);
    master = startForeground(BUILDBOT, masterDir, cleanEnv);

    // Worker: `bbm` on PATH through a shim; clean environment (its env is printed in every step log).
    const shim = path.join(root, 'bin');
    mkdirSync(shim);
    writeFileSync(
      path.join(shim, 'bbm'),
      `#!/bin/sh\ncase "$PWD" in */broken/*) echo "bbm: not installed on this worker" >&2; exit 127;; esac\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'dist', 'cli.js'))} "$@"\n`,
      { mode: 0o755 },
    );
    const workerDir = path.join(root, 'worker');
    run(BUILDBOT_WORKER, ['create-worker', '-q', workerDir, `127.0.0.1:${pbPort}`, 'w1', 'placeholder'], { env: cleanEnv });
    // The real password goes into the worker's tac file, never onto a command line.
    const wtac = path.join(workerDir, 'buildbot.tac');
    writeFileSync(wtac, readFileSync(wtac, 'utf8').replace("passwd = 'placeholder'", `passwd = ${JSON.stringify(workerPassword)}`));
    worker = startForeground(BUILDBOT_WORKER, workerDir, {
      PATH: `${shim}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: root,
      LANG: 'C.UTF-8',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      npm_config_cache: path.join(root, 'npm-cache'),
    });

    await until(
      'the worker to connect',
      async () => {
        const { workers } = await get<{ workers: { name: string; connected_to: unknown[] }[] }>('/workers');
        return workers.find((w) => w.name === 'w1' && w.connected_to.length > 0);
      },
      300_000,
      path.join(masterDir, 'twistd.log'),
    );
    builderid = (await get<{ builders: { builderid: number }[] }>('/builders?name=app')).builders[0]!.builderid;
  }, 240_000);

  const images: string[] = [];

  afterAll(async () => {
    await stop(worker);
    await stop(master);
    await forge?.close();
    await dc?.destroy();
    // The images these builds made in the local engine (the registry keeps the overwritten tags).
    for (const image of images) spawnSync('docker', ['image', 'rm', image], { stdio: 'ignore' });
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('a pushed commit runs checkout, the detected type steps and bbm tag, with the tag in the build properties', async () => {
    const wc = openRepo(path.join(root, 'wc'));
    wc.git('checkout', '-q', '-b', HOSTILE);
    writeFileSync(path.join(wc.dir, 'test.js'), "console.log('app tests passed, second commit');\n");
    wc.git('commit', '-q', '-am', 'second');
    const sha = wc.git('rev-parse', 'HEAD');
    // The poller's first look records the heads without building: push only after it happened.
    const log = path.join(root, 'master', 'twistd.log');
    await until('the first poll', async () => (readFileSync(log, 'utf8').includes('gitpoller: processing changes from') ? true : undefined), 120_000, log);
    wc.git('push', '-q', 'origin', HOSTILE);

    const build = await finishedBuild('the build of the pushed commit', (p) => p.revision?.[0] === sha);
    const props = build.properties;
    if (typeof props.image?.[0] === 'string') images.push(props.image[0]);
    expect(props.branch?.[0]).toBe(HOSTILE);
    expect(props.got_revision?.[0]).toBe(sha);
    expect(props.project_type?.[0]).toBe('node');
    // `bbm tag --json` ran on the worker and its result became build properties.
    expect(props.describe?.[0]).toMatch(/^v1\.0\.0-1-g[0-9a-f]{7,}$/); // full history with tags
    expect(props.tag?.[0]).toEqual(expect.stringMatching(new RegExp(`^app-${build.number}-.+-v1\\.0\\.0-1-g[0-9a-f]{7,}$`)));
    expect(props.image?.[0]).toBe(`${REGISTRY}/${REPOSITORY}:${props.tag?.[0] as string}`);
    expect(props.stable?.[0]).toBe(false);

    // A step's final summary is written a moment after the build completes (Buildbot debounces
    // updateSummary): read the steps until the last summary is in.
    const steps = await until('the final step summaries', async () => {
      const all = await stepsOf(build.buildid);
      return all.find((s) => s.name === 'docker push')?.state_string.startsWith('pushed ') ? all : undefined;
    }, 30_000);
    const result = (name: string) => steps.find((s) => s.name === name)?.results;
    for (const name of ['checkout', 'detect', 'type steps', 'npm ci', 'npm test', 'tag', 'docker build', 'docker push'])
      expect(result(name), `${name}: ${JSON.stringify(steps)}`).toBe(0);
    // Not a deploy branch: the deploy step is skipped, and says why on the build page.
    expect(result('deploy')).toBe(3);
    const deploy = steps.find((s) => s.name === 'deploy')!;
    expect(deploy.state_string).toBe('skipped: not a deploy branch (skipped)');
    expect((deploy as Step & { hidden: boolean }).hidden).toBe(false);
    // The build page tells the story: tag, image and digest on their steps and in the build's data.
    expect(props.digest?.[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(steps.find((s) => s.name === 'tag')!.state_string).toBe(`tag ${props.tag?.[0] as string} (${props.describe?.[0] as string})`);
    expect(steps.find((s) => s.name === 'docker build')!.state_string).toBe(`built ${props.image?.[0] as string}`);
    expect(steps.find((s) => s.name === 'docker push')!.state_string).toBe(`pushed ${props.image?.[0] as string} ${props.digest?.[0] as string}`);
    const builder = (await get<{ builders: { tags: string[]; description: string }[] }>(`/builders/${builderid}`)).builders[0]!;
    expect(builder.tags).toEqual(['team:web', 'node']); // the config's tags; none by default (web)
    expect((await get<{ builders: { tags: string[] }[] }>('/builders?name=web')).builders[0]?.tags).toEqual([]);
    expect(builder.description).toContain('deploys master to /app');
    expect(build.results).toBe(0);
    const tags = (await (await fetch(`http://${REGISTRY}/v2/${REPOSITORY}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toContain(props.tag?.[0]);
    // The type steps were added to the running build, between detection and tag.
    const names = steps.map((s) => s.name);
    expect(names.indexOf('npm test')).toBeGreaterThan(names.indexOf('type steps'));
    expect(names.indexOf('tag')).toBeGreaterThan(names.indexOf('npm test'));
    expect(await logOf(build.buildid, 'npm test')).toContain('app tests passed, second commit');
    // The hostile branch reached `bbm tag` as one argv element and ran nothing.
    expect(existsSync(path.join(root, 'worker', 'app', 'build', 'pwned'))).toBe(false);
  }, 400_000);

  it('a forced build (the UI force form JSON-RPC call) with deploy off and a branch carries its parameters', async () => {
    const body = (params: Record<string, unknown>) =>
      JSON.stringify({ jsonrpc: '2.0', method: 'force', id: 1, params: { builderid: String(builderid), ...params } });
    const headers = { 'Content-Type': 'application/json' };
    const params = { reason: 'force test', branch: 'master', revision: '', project: '', repository: '', deploy: false };

    // Anonymous users may not force.
    const anonymous = await fetch(`${api}/forceschedulers/force`, { method: 'POST', headers, body: body(params) });
    expect(JSON.stringify(await anonymous.json().catch(() => ({ status: anonymous.status })))).toMatch(/you need to have role|403/);

    // Log in the way the UI does (basic auth on /auth/login sets the session cookie).
    const login = await fetch(`${www}auth/login`, {
      headers: { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
      redirect: 'manual',
    });
    // The session cookie is set twice (empty, then with the user): the last one counts.
    const cookie = login.headers.getSetCookie().filter((c) => c.startsWith('TWISTED_SESSION=')).at(-1)?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^TWISTED_SESSION=/);

    const res = await fetch(`${api}/forceschedulers/force`, { method: 'POST', headers: { ...headers, Cookie: cookie }, body: body(params) });
    const answer = (await res.json()) as { result?: [number, Record<string, number>]; error?: unknown };
    expect(answer.error, JSON.stringify(answer)).toBeUndefined();
    const brid = answer.result![1][String(builderid)]!;

    const build = await until(
      'the forced build',
      async () => {
        const { builds } = await get<{ builds: Build[] }>(`/buildrequests/${brid}/builds`);
        return builds.find((b) => b.complete);
      },
      300_000,
      path.join(root, 'master', 'twistd.log'),
    );
    const props = (await get<{ properties: Props[] }>(`/builds/${build.buildid}/properties`)).properties[0]!;
    if (typeof props.image?.[0] === 'string') images.push(props.image[0]);
    expect(props.deploy).toEqual([false, 'Force Build Form']);
    expect(props.reason).toEqual(['force test', 'Force Build Form']);
    expect(props.branch?.[0]).toBe('master');
    expect(props.scheduler?.[0]).toBe('force');
    expect(props.tag?.[0]).toEqual(expect.stringMatching(new RegExp(`^app-${build.number}-master-v1\\.0\\.0$`)));
    expect(props.stable?.[0]).toBe(true);
    const steps = await stepsOf(build.buildid);
    for (const name of ['checkout', 'npm test', 'tag', 'docker build', 'docker push']) expect(steps.find((s) => s.name === name)?.results, name).toBe(0);
    // master is a deploy branch, so only the force form's deploy=false keeps the deploy step from running.
    expect(steps.find((s) => s.name === 'deploy')?.results).toBe(3);
    expect(steps.find((s) => s.name === 'deploy')?.state_string).toBe('skipped: deploy unticked (skipped)');
    expect(build.results).toBe(0);
    // A forced build reports its result to the forge too: the repository from the builder's project,
    // the commit its checkout got (a forced branch head has none before: no start status).
    const sha = props.got_revision?.[0] as string;
    const url = `builders/${builderid}/builds/${build.number}`;
    const mine = await until('the forced build’s commit status', async () => {
      const posted = forge.github(sha).filter((b) => b.target_url.endsWith(url));
      return posted.length ? posted : undefined;
    }, 60_000);
    expect(mine.map((b) => [b.state, b.context])).toEqual([['success', 'bbm/build']]);
    expect(mine[0]!.repo).toBe(`${path.basename(root)}/app`); // the repository path's last two parts
    expect(mine[0]!.token).toBe(`token ${GITHUB_TOKEN}`);
  }, 400_000);

  it('a push reported by webhook and poller builds once, and its commit status reaches the forge with the build URL', async () => {
    const wc = openRepo(path.join(root, 'wc'));
    wc.git('checkout', '-q', 'master');
    wc.git('checkout', '-q', '-b', 'feature');
    writeFileSync(path.join(wc.dir, 'test.js'), "console.log('app tests passed, feature');\n");
    wc.git('commit', '-q', '-am', 'feature');
    const sha = wc.git('rev-parse', 'HEAD');
    wc.git('push', '-q', 'origin', 'feature');
    const payload = JSON.stringify({
      ref: 'refs/heads/feature', before: '0'.repeat(40), after: sha, created: false, deleted: false,
      repository: { name: 'app', full_name: 'example/app', html_url: path.join(root, 'app.git') },
      head_commit: { id: sha, message: 'feature', timestamp: new Date().toISOString(), url: 'https://example.invalid/c', author: { name: 'a', email: 'a@example.com' }, committer: { name: 'a', email: 'a@example.com' } },
      commits: [{ id: sha, message: 'feature', timestamp: new Date().toISOString(), url: 'https://example.invalid/c', author: { name: 'a', email: 'a@example.com' }, committer: { name: 'a', email: 'a@example.com' }, added: [], modified: ['test.js'], removed: [] }],
    });
    const hook = await fetch(`${www}change_hook/github`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', 'X-Hub-Signature': `sha1=${createHmac('sha1', GITHUB_HOOK_SECRET).update(payload).digest('hex')}` },
      body: payload,
    });
    expect(hook.status).toBe(200);
    // Both sources reported the commit (two changes), …
    await until(
      'the webhook and the poller to report the commit',
      async () => ((await get<{ changes: { revision: string }[] }>('/changes')).changes.filter((c) => c.revision === sha).length === 2 ? true : undefined),
      120_000,
      path.join(root, 'master', 'twistd.log'),
    );
    const build = await finishedBuild('the build of the feature commit', (p) => p.revision?.[0] === sha);
    if (typeof build.properties.image?.[0] === 'string') images.push(build.properties.image[0]);
    expect(build.results).toBe(0);
    // … and it built once.
    const { buildrequests } = await get<{ buildrequests: { buildsetid: number }[] }>(`/builders/${builderid}/buildrequests`);
    const forSha: number[] = [];
    for (const br of buildrequests) {
      const { buildsets } = await get<{ buildsets: { sourcestamps: { revision: string }[] }[] }>(`/buildsets/${br.buildsetid}`);
      if (buildsets[0]!.sourcestamps.some((ss) => ss.revision === sha)) forSha.push(br.buildsetid);
    }
    expect(forSha).toHaveLength(1);

    // Commit statuses: started (pending) and finished (success) for this commit, context bbm/build
    // (feature is no deploy branch), with the build's URL and the token from the secret.
    const bodies = await until(
      'the finished commit status at the fake forge',
      async () => (forge.github(sha).some((b) => b.state === 'success') ? forge.github(sha) : undefined),
      60_000,
    );
    expect(bodies.map((b) => b.state)).toEqual(['pending', 'success']);
    for (const b of bodies) {
      expect(b.repo).toBe('example/app');
      expect(b.context).toBe('bbm/build');
      expect(b.target_url.startsWith(www) && b.target_url.endsWith(`builders/${builderid}/builds/${build.number}`), b.target_url).toBe(true);
      expect(b.token).toBe(`token ${GITHUB_TOKEN}`);
    }
    expect(bodies[1]!.description).toContain(build.properties.tag?.[0] as string);
  }, 400_000);

  it('a failing bbm detect is a red, visible step with its log; the build fails (not an exception)', async () => {
    const broken = (await get<{ builders: { builderid: number }[] }>('/builders?name=broken')).builders[0]!.builderid;
    const forms = (await get<{ forceschedulers: { name: string; builder_names: string[]; all_fields: { fields?: { name: string }[]; name: string }[] }[] }>('/forceschedulers')).forceschedulers;
    const form = forms.find((f) => f.builder_names.includes('broken'))!;
    // No deploy for this builder, so its form has no Deploy field; the app's form has one.
    expect(JSON.stringify(form.all_fields)).not.toContain('"deploy"');
    expect(JSON.stringify(forms.find((f) => f.builder_names.includes('app'))!.all_fields)).toContain('"deploy"');
    // The branch field offers the project's branches (empty first: the project's first branch), others may be typed.
    type Field = { name: string; choices?: string[]; strict?: boolean; fields?: Field[] };
    const branchField = (fields: Field[]): Field | undefined => fields.map((f) => (f.name === 'branch' && f.choices ? f : branchField(f.fields ?? []))).find(Boolean);
    const appBranch = branchField(forms.find((f) => f.builder_names.includes('app'))!.all_fields as Field[])!;
    expect(appBranch.choices).toEqual(['', 'master', HOSTILE, 'feature']);
    expect(appBranch.strict).toBe(false);
    expect(branchField(form.all_fields as Field[])!.choices).toEqual(['', 'broken-only']);
    const cookie = await login(www, 'admin', ADMIN_PASSWORD);
    const forced = await control(api, `forceschedulers/${form.name}`, 'force', { builderid: String(broken), reason: 'detect', branch: 'master', revision: '', project: '', repository: '' }, cookie);
    expect(forced.status, forced.body).toBe(200);
    const brid = (JSON.parse(forced.body) as { result: [number, Record<string, number>] }).result[1][String(broken)]!;
    const build = await until(
      'the broken build',
      async () => (await get<{ builds: Build[] }>(`/buildrequests/${brid}/builds`)).builds.find((b) => b.complete),
      300_000,
      path.join(root, 'master', 'twistd.log'),
    );
    expect(build.results).toBe(2); // FAILURE, not EXCEPTION (4)
    const layout = (await stepsOf(build.buildid)).find((s) => s.name === 'layout')! as Step & { hidden: boolean };
    expect(layout.results).toBe(2);
    expect(layout.hidden).toBe(false);
    expect(await logOf(build.buildid, 'layout')).toContain('bbm: not installed on this worker');
  }, 400_000);

  it('three commits pushed at once to a deploy branch: the newest deploys and the app ends on it; no older commit deploys after it', async () => {
    const web = (await get<{ builders: { builderid: number }[] }>('/builders?name=web')).builders[0]!.builderid;
    const wc = openRepo(path.join(root, 'wc'));
    wc.git('checkout', '-q', 'master');
    wc.git('checkout', '-q', '-b', 'release');
    const app = { id: '/bbidioms/web', cmd: 'sleep 3600', instances: 1, cpus: 0.05, mem: 16, container: { type: 'DOCKER', docker: { image: '${image}' } } };
    writeFileSync(path.join(wc.dir, 'marathon.json'), JSON.stringify(app));
    writeFileSync(path.join(wc.dir, 'every.json'), JSON.stringify({ ...app, id: '/bbidioms/every' })); // the `every` project's
    wc.git('add', 'marathon.json', 'every.json');
    const shas: string[] = [];
    for (const n of [1, 2, 3]) {
      writeFileSync(path.join(wc.dir, 'release.txt'), `release ${n}\n`);
      wc.git('add', 'release.txt');
      wc.commit(`release ${n}`);
      shas.push(wc.git('rev-parse', 'HEAD'));
    }
    wc.git('push', '-q', 'origin', 'release'); // one push, three commits

    type WebBuild = Build & { properties: Props; started_at: number };
    const buildsOf = async () => (await get<{ builds: WebBuild[] }>(`/builders/${web}/builds?property=*`)).builds;
    const newest = await until(
      'the build of the newest commit',
      async () => (await buildsOf()).find((b) => b.complete && b.properties.revision?.[0] === shas[2]),
      600_000,
      path.join(root, 'master', 'twistd.log'),
    );
    for (const b of await buildsOf()) if (typeof b.properties.image?.[0] === 'string') images.push(b.properties.image[0]);
    expect(newest.results).toBe(0);
    const deployOf = async (buildid: number) => (await get<{ steps: (Step & { started_at: number | null; complete_at: number | null })[] }>(`/builds/${buildid}/steps`)).steps.find((s) => s.name === 'deploy')!;
    const newestDeploy = await deployOf(newest.buildid);
    expect(newestDeploy.results, newestDeploy.state_string).toBe(0);
    // The deploy step links the app on the deploy target.
    expect((newestDeploy as unknown as { urls: { name: string; url: string }[] }).urls).toEqual([{ name: 'app /bbidioms/web', url: `${dc.url}/v2/apps/bbidioms/web` }]);
    // The app runs the newest commit's image.
    const running = (await (await fetch(`${dc.url}/v2/apps/bbidioms/web`)).json()) as { app: { labels: Record<string, string>; container: { docker: { image: string } } } };
    expect(running.app.labels['bbm.commit']).toBe(shas[2]);
    expect(running.app.container.docker.image).toBe(newest.properties.image?.[0]);

    // Everything settled: no build of web left running, no request pending.
    await until('the web builder to be idle', async () => {
      const pending = (await get<{ buildrequests: unknown[] }>(`/builders/${web}/buildrequests?complete=false`)).buildrequests;
      return pending.length === 0 && (await buildsOf()).every((b) => b.complete) ? true : undefined;
    }, 300_000);
    const builds = await buildsOf();
    // The poller reported all three commits, one change each …
    const changed = (await get<{ changes: { revision: string }[] }>('/changes')).changes.map((c) => c.revision);
    for (const sha of shas) expect(changed).toContain(sha);
    // … and the middle commit's request was replaced by a newer one: it never built.
    expect(builds.filter((b) => b.properties.revision?.[0] === shas[1])).toEqual([]);
    // An older build that deployed did so before the newest deploy started, never after.
    for (const b of builds.filter((x) => x.buildid !== newest.buildid)) {
      const step = await deployOf(b.buildid);
      if (step.results === 3) continue;
      expect(step.complete_at!, `build ${b.number} deployed after the newest one`).toBeLessThanOrEqual(newestDeploy.started_at!);
    }
    releaseShas = shas;
  }, 900_000);

  let releaseShas: string[] = [];

  it('buildEveryCommit: the same push builds each of the three commits; the newest still deploys last and the app ends on it', async () => {
    expect(releaseShas, 'needs the push of three commits to release').toHaveLength(3);
    const every = (await get<{ builders: { builderid: number }[] }>('/builders?name=every')).builders[0]!.builderid;
    type EveryBuild = Build & { properties: Props };
    const builds = await until('every builder idle with a build of each commit', async () => {
      const pending = (await get<{ buildrequests: unknown[] }>(`/builders/${every}/buildrequests?complete=false`)).buildrequests;
      const all = (await get<{ builds: EveryBuild[] }>(`/builders/${every}/builds?property=*`)).builds;
      return pending.length === 0 && all.every((b) => b.complete) && releaseShas.every((sha) => all.some((b) => b.properties.revision?.[0] === sha)) ? all : undefined;
    }, 600_000, path.join(root, 'master', 'twistd.log'));
    for (const b of builds) if (typeof b.properties.image?.[0] === 'string') images.push(b.properties.image[0]);
    // One build per commit, all green.
    expect(releaseShas.map((sha) => builds.filter((b) => b.properties.revision?.[0] === sha).map((b) => b.results))).toEqual([[0], [0], [0]]);
    const deployOf = async (buildid: number) => (await get<{ steps: (Step & { started_at: number | null; complete_at: number | null })[] }>(`/builds/${buildid}/steps`)).steps.find((s) => s.name === 'deploy')!;
    const newest = builds.find((b) => b.properties.revision?.[0] === releaseShas[2])!;
    const newestDeploy = await deployOf(newest.buildid);
    expect(newestDeploy.results, newestDeploy.state_string).toBe(0);
    for (const b of builds.filter((x) => x.buildid !== newest.buildid)) {
      const step = await deployOf(b.buildid);
      if (step.results === 3) continue; // skipped: a newer build had deployed
      expect(step.complete_at!, `build ${b.number} deployed after the newest one`).toBeLessThanOrEqual(newestDeploy.started_at!);
    }
    const running = (await (await fetch(`${dc.url}/v2/apps/bbidioms/every`)).json()) as { app: { labels: Record<string, string> } };
    expect(running.app.labels['bbm.commit']).toBe(releaseShas[2]);
  }, 900_000);

  it('GitLab: pushes reported by its webhook build a gradle project (one step per task); statuses bbm/deploy and bbm/build reach the fake GitLab with the build URL and the token; a forced build reports its result', async () => {
    const lab = (await get<{ builders: { builderid: number }[] }>('/builders?name=lab')).builders[0]!.builderid;
    const wc = openRepo(path.join(root, 'wc'));
    wc.git('checkout', '-q', 'master');
    wc.git('checkout', '-q', '-b', 'lab');
    // The gradle wrapper: a stand-in that says which task it ran.
    writeFileSync(path.join(wc.dir, 'gradlew'), '#!/bin/sh\necho "gradle stand-in: $*"\n', { mode: 0o755 });
    writeFileSync(path.join(wc.dir, 'marathon.json'), JSON.stringify({ id: '/bbidioms/lab', cmd: 'sleep 3600', instances: 1, cpus: 0.05, mem: 16, container: { type: 'DOCKER', docker: { image: '${image}' } } }));
    wc.git('add', '-A');
    wc.commit('lab');
    const labSha = wc.git('rev-parse', 'HEAD');
    wc.git('checkout', '-q', '-b', 'lab-topic');
    writeFileSync(path.join(wc.dir, 'topic.txt'), 'topic\n');
    wc.git('add', 'topic.txt');
    wc.commit('topic');
    const topicSha = wc.git('rev-parse', 'HEAD');
    wc.git('push', '-q', 'origin', 'lab', 'lab-topic');
    for (const [branch, sha] of [['lab', labSha], ['lab-topic', topicSha]] as const) {
      const hook = await fetch(`${www}change_hook/gitlab`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': GITLAB_HOOK_SECRET },
        body: JSON.stringify({
          object_kind: 'push', ref: `refs/heads/${branch}`, before: '0'.repeat(40), after: sha, user_name: 'a',
          // GitLab names the repository by its SSH URL; it is the project's repo all the same.
          repository: { name: 'lab', url: 'git@gitlab.example.invalid:group/lab.git' },
          commits: [{ id: sha, message: branch, timestamp: new Date().toISOString(), url: 'https://example.invalid/c', author: { name: 'a', email: 'a@example.com' }, added: [], modified: [], removed: [] }],
        }),
      });
      expect(hook.status, await hook.text()).toBe(200);
    }

    type LabBuild = Build & { properties: Props };
    const builds = await until('both lab builds', async () => {
      const all = (await get<{ builds: LabBuild[] }>(`/builders/${lab}/builds?property=*`)).builds.filter((b) => b.complete);
      const byBranch = (b: string) => all.find((x) => x.properties.branch?.[0] === b);
      return byBranch('lab') && byBranch('lab-topic') ? { lab: byBranch('lab')!, topic: byBranch('lab-topic')! } : undefined;
    }, 600_000, path.join(root, 'master', 'twistd.log'));
    for (const b of [builds.lab, builds.topic]) if (typeof b.properties.image?.[0] === 'string') images.push(b.properties.image[0]);
    type FullStep = Step & { urls: { name: string; url: string }[] };
    const labSteps = (await stepsOf(builds.lab.buildid)) as FullStep[];
    expect(builds.lab.results, JSON.stringify(labSteps)).toBe(0);
    expect(builds.topic.results).toBe(0);
    // One step per gradle task, through the project's wrapper (no `gradle test_1`).
    const names = labSteps.map((s) => s.name);
    expect(names.filter((n) => n.startsWith('gradle'))).toEqual(['gradle test', 'gradle assemble']);
    expect(names.filter((n) => /_\d+$/.test(n))).toEqual([]);
    expect(await logOf(builds.lab.buildid, 'gradle test')).toContain('gradle stand-in: --no-daemon test');
    expect(await logOf(builds.lab.buildid, 'gradle assemble')).toContain('gradle stand-in: --no-daemon assemble');
    // The deploy step ran on the deploy branch and links the app; the topic branch's is skipped with its reason.
    const deploy = labSteps.find((s) => s.name === 'deploy')!;
    expect(deploy.results).toBe(0);
    expect(deploy.urls).toEqual([{ name: 'app /bbidioms/lab', url: `${dc.url}/v2/apps/bbidioms/lab` }]);
    const told = await until('the deploy step’s final summary', async () => {
      const s = (await stepsOf(builds.lab.buildid)).find((x) => x.name === 'deploy');
      return s?.state_string.startsWith('deployed ') ? s : undefined;
    }, 30_000);
    expect(told.state_string).toBe(`deployed ${builds.lab.properties.tag?.[0] as string} ${builds.lab.properties.digest?.[0] as string} to /bbidioms/lab`);
    expect((await stepsOf(builds.topic.buildid)).find((s) => s.name === 'deploy')?.state_string).toBe('skipped: not a deploy branch (skipped)');

    // Statuses: running then the result, for the repository's GitLab project, with the branch, the
    // build's URL and the token from the secret; bbm/deploy for the build that deployed.
    for (const [b, sha, branch, context] of [[builds.lab, labSha, 'lab', 'bbm/deploy'], [builds.topic, topicSha, 'lab-topic', 'bbm/build']] as const) {
      const posted = await until(`the final GitLab status of ${branch}`, async () => (forge.gitlab(sha).some((x) => x.state === 'success') ? forge.gitlab(sha) : undefined), 60_000);
      expect(posted.map((x) => x.state)).toEqual(['running', 'success']);
      for (const x of posted) {
        expect([x.repo, x.context, x.ref, x.token]).toEqual(['group/lab', context, branch, GITLAB_TOKEN]);
        expect(x.target_url.startsWith(www) && x.target_url.endsWith(`builders/${lab}/builds/${b.number}`), x.target_url).toBe(true);
      }
      expect(posted[1]!.description).toContain(b.properties.tag?.[0] as string);
    }
    // GitLab was asked for the project's id by its full path.
    expect(forge.requests.some((r) => r.method === 'GET' && r.url === '/api/v4/projects/group%2Flab')).toBe(true);

    // A forced build (branch head, deploy off) reports its result on the commit its checkout got.
    const forms = (await get<{ forceschedulers: { name: string; builder_names: string[] }[] }>('/forceschedulers')).forceschedulers;
    const cookie = await login(www, 'admin', ADMIN_PASSWORD);
    const forced = await control(api, `forceschedulers/${forms.find((f) => f.builder_names.includes('lab'))!.name}`, 'force',
      { builderid: String(lab), reason: 'status', branch: 'lab-topic', revision: '', project: '', repository: '', deploy: false }, cookie);
    expect(forced.status, forced.body).toBe(200);
    const brid = (JSON.parse(forced.body) as { result: [number, Record<string, number>] }).result[1][String(lab)]!;
    const build = await until('the forced lab build', async () => (await get<{ builds: Build[] }>(`/buildrequests/${brid}/builds`)).builds.find((b) => b.complete), 300_000);
    const props = (await get<{ properties: Props[] }>(`/builds/${build.buildid}/properties`)).properties[0]!;
    if (typeof props.image?.[0] === 'string') images.push(props.image[0]);
    expect(build.results).toBe(0);
    expect(props.got_revision?.[0]).toBe(topicSha);
    const url = `builders/${lab}/builds/${build.number}`;
    const mine = await until('the forced build’s GitLab status', async () => {
      const posted = forge.gitlab(topicSha).filter((x) => x.target_url.endsWith(url));
      return posted.length ? posted : undefined;
    }, 60_000);
    expect(mine.map((x) => [x.state, x.context, x.ref, x.repo, x.token])).toEqual([['success', 'bbm/build', 'lab-topic', 'group/lab', GITLAB_TOKEN]]);
    await fetch(`${dc.url}/v2/apps/bbidioms/lab`, { method: 'DELETE' }).catch(() => undefined);
  }, 900_000);
});
