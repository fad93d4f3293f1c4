/**
 * The whole pipeline, real everything: the stack comes up from docker-compose.yml with every image
 * built here on the locally made Debian bases; commits pushed to a bare repository of the example
 * project are tested, tagged, built, pushed and deployed by Buildbot, and HAProxy serves them.
 *
 * One compose project per run (unique name, ports picked free at run time, its own devcluster
 * name, temporary secrets/repository/generated folders); everything it started is removed in
 * afterAll, except the stack's images (a cache: the next run starts in seconds).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLoad } from '../support/http-load.js';
import { sendJson, startTestServer } from '../support/http-server.js';
import { components, describeWith } from '../support/integration.js';
import { freePort, until } from '../support/ports.js';
import { bbm } from '../support/processes.js';
import { lastTiming } from '../../src/timing.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const MIN = 60_000;

const d = await describeWith([components.docker, components.git, components.compose, components.localBases, components.baseImage]);

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(file, args, { env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 10 * MIN, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const rand = (n = 12) => randomBytes(n).toString('hex');

// ---- the run's world ----
const project = `bbm-e2e-${rand(4)}`;
const secrets = {
  db: `db-${rand()}`,
  worker: `wk-${rand()}`,
  admin: `adm-${rand()}`,
  marathonUser: `mu-${rand(4)}`,
  marathonPassword: `mp-${rand()}`,
};
let tmp = '';
let wc = '';
let env: NodeJS.ProcessEnv = {};
const ports = { ui: 0, pb: 0, msgpack: 0, registry: 0, db: 0, marathon: 0, service: 0, vhost: 0 };
let taskPorts = '';
let ui = '';
let builderId = 0;
let cookie = '';
const timings: Record<string, unknown> = {};
/** The build's steps that run bbm, and the command each one runs. */
const BBM_STEPS: Record<string, string> = { layout: 'detect', detect: 'detect', tag: 'tag', 'docker build': 'build', 'docker push': 'push', deploy: 'deploy' };

const compose = (args: string[], timeoutMs?: number) => exec('docker-compose', ['-p', project, '-f', COMPOSE_FILE, ...args], { env, cwd: ROOT, timeoutMs });

function git(...args: string[]): Promise<Exec> {
  return exec('git', args, {
    cwd: wc,
    env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@example.invalid', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@example.invalid' },
  });
}

async function api<T = Record<string, unknown>>(p: string): Promise<T> {
  const res = await fetch(`${ui}api/v2/${p}`, { headers: cookie ? { cookie } : {} });
  if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function text(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {} });
  return { status: res.status, body: await res.text() };
}

interface Build {
  buildid: number;
  number: number;
  complete: boolean;
  results: number | null;
  started_at: number;
  complete_at: number | null;
  state_string: string;
  properties: Record<string, [unknown, string]>;
}
interface Step {
  stepid: number;
  number: number;
  name: string;
  results: number | null;
  started_at: number | null;
  complete_at: number | null;
  state_string: string;
}

/** Pushes the working copy's change as a commit; returns its sha and when it was pushed. */
async function commitAndPush(message: string): Promise<{ sha: string; pushedAt: number }> {
  for (const args of [['add', '-A'], ['commit', '-qm', message]]) {
    const r = await git(...args);
    expect(r.code, r.stderr).toBe(0);
  }
  const sha = (await git('rev-parse', 'HEAD')).stdout.trim();
  const pushedAt = Date.now();
  const push = await git('push', '-q', 'origin', 'master');
  expect(push.code, push.stderr).toBe(0);
  // Webhook-style nudge to the poller (the generated config enables the poller hook); the poller
  // would find the commit on its own within pollInterval (2 s) anyway.
  await fetch(`${ui}change_hook/poller`, { method: 'POST' }).catch(() => undefined);
  return { sha, pushedAt };
}

async function buildOf(sha: string): Promise<Build> {
  return until(
    `a build of ${sha.slice(0, 8)}`,
    async () => {
      const r = await api<{ builds: Build[] }>(`builders/${builderId}/builds?order=-number&limit=20&property=revision&property=got_revision`);
      return r.builds.find((b) => b.properties.revision?.[0] === sha || b.properties.got_revision?.[0] === sha);
    },
    3 * MIN,
    500,
  );
}

async function finished(buildid: number): Promise<Build> {
  return until(
    `build ${buildid} to finish`,
    async () => {
      const r = await api<{ builds: Build[] }>(`builds/${buildid}?property=*`);
      const b = r.builds[0];
      return b?.complete ? b : undefined;
    },
    12 * MIN,
    1000,
  );
}

async function steps(buildid: number): Promise<Step[]> {
  return (await api<{ steps: Step[] }>(`builds/${buildid}/steps`)).steps;
}

function describeSteps(list: Step[]): string {
  return list.map((s) => `${s.number} ${s.name}: results ${s.results} (${s.state_string})`).join('\n');
}

/** Resolves when the build's step `name` has started (the rollout begins with the deploy step). */
async function stepStarted(buildid: number, name: string): Promise<void> {
  await until(`step ${name} of build ${buildid} to start`, async () => {
    const list = await steps(buildid);
    const s = list.find((x) => x.name === name);
    if (s?.started_at) return true;
    const b = (await api<{ builds: Build[] }>(`builds/${buildid}`)).builds[0];
    if (b?.complete) throw new Error(`build ${buildid} ended before its ${name} step:\n${describeSteps(list)}`);
    return false;
  }, 15 * MIN, 300);
}

async function stepLog(buildid: number, stepName: string): Promise<string> {
  const list = await steps(buildid);
  const s = list.find((x) => x.name === stepName);
  if (!s) return '';
  return (await text(`${ui}api/v2/builds/${buildid}/steps/${s.number}/logs/stdio/raw`)).body;
}

async function app(): Promise<{ version: string; labels: Record<string, string>; container: { docker: { image: string } } } | undefined> {
  const res = await fetch(`http://127.0.0.1:${ports.marathon}/v2/apps/hello`);
  if (res.status === 404) return undefined;
  return ((await res.json()) as { app: { version: string; labels: Record<string, string>; container: { docker: { image: string } } } }).app;
}

async function serviceBody(): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${ports.service}/`, { signal: AbortSignal.timeout(5000) });
    return res.status === 200 ? (await res.text()).trim() : undefined;
  } catch {
    return undefined;
  }
}

function page(marker: string): string {
  return `<!doctype html>\n<title>hello</title>\n<p>${marker}</p>\n`;
}

async function explain(): Promise<string> {
  const logs = await compose(['logs', '--no-color', '--tail=40'], MIN);
  return logs.stdout.slice(-12_000);
}

d('the whole pipeline, from a commit to HAProxy, through docker-compose.yml', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), `${project}-`));
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
    // Task host ports: a window outside the kernel's ephemeral range (where freePort picks).
    const base = 20_000 + Math.floor(Math.random() * 50) * 200;
    taskPorts = `${base}-${base + 199}`;
    ui = `http://127.0.0.1:${ports.ui}/`;

    // Secrets: files only root can read, as scripts/up.sh makes them.
    const sdir = path.join(tmp, 'secrets');
    mkdirSync(sdir, { mode: 0o700 });
    const put = (name: string, value: string) => writeFileSync(path.join(sdir, name), value, { mode: 0o600 });
    put('db-password', secrets.db);
    put('worker-worker-1', secrets.worker);
    put('htpasswd', `admin:${secrets.admin}\n`);
    put('marathon-user', secrets.marathonUser);
    put('marathon-password', secrets.marathonPassword);

    // The configuration, generated by the real `bbm generate` from a JSON ci.config.
    const config = {
      registry: `127.0.0.1:${ports.registry}`,
      marathon: { url: `http://127.0.0.1:${ports.marathon}`, userSecret: 'marathon-user', passwordSecret: 'marathon-password' },
      buildbot: {
        url: ui,
        title: 'e2e',
        // The stack's master is Debian's Buildbot 3.7 (local bases).
        version: '3.7',
        // the stack's default worker: `bbm worker` over msgpack
        workers: [{ name: 'worker-1', maxBuilds: 1, kind: 'bbm' }],
        msgpackPort: ports.msgpack,
        www: {
          address: '127.0.0.1',
          port: ports.ui,
          auth: { htpasswd: 'secrets/htpasswd' },
          roles: { admins: ['admin'] },
          allow: { force: ['admins'], stop: ['admins'], rebuild: ['admins'] },
        },
        secretsDir: 'secrets',
        db: 'sqlite:///state.sqlite',
      },
      changeSources: { pollInterval: 2 },
      projects: [
        {
          name: 'hello',
          repo: '/srv/git/hello.git',
          type: 'python',
          branches: ['master'],
          deploy: { branches: ['master'], app: 'marathon.json', appId: '/hello' },
          buildArgs: { BASE_IMAGE: 'bbm-test/busybox:latest' },
        },
      ],
    };
    writeFileSync(path.join(tmp, 'ci.config.json'), JSON.stringify(config, null, 2));
    mkdirSync(path.join(tmp, 'generated'));
    const gen = await bbm(['generate', '--config', path.join(tmp, 'ci.config.json'), '--out', path.join(tmp, 'generated', 'master.cfg')]);
    expect(gen.status, gen.stderr).toBe(0);
    const cfgText = readFileSync(path.join(tmp, 'generated', 'master.cfg'), 'utf8');
    for (const v of Object.values(secrets)) expect(cfgText).not.toContain(v);

    // The example project, in a bare repository the master and the worker see at /srv/git.
    mkdirSync(path.join(tmp, 'repos'));
    const bare = path.join(tmp, 'repos', 'hello.git');
    expect((await exec('git', ['init', '-q', '--bare', '-b', 'master', bare])).code).toBe(0);
    wc = path.join(tmp, 'wc');
    cpSync(path.join(ROOT, 'examples', 'hello'), wc, { recursive: true });
    const def = JSON.parse(readFileSync(path.join(wc, 'marathon.json'), 'utf8'));
    def.container.portMappings[0].servicePort = ports.service;
    writeFileSync(path.join(wc, 'marathon.json'), `${JSON.stringify(def, null, 2)}\n`);
    writeFileSync(path.join(wc, 'www', 'index.html'), page('e2e v0 (never deployed: before the stack)'));
    for (const args of [['init', '-q', '-b', 'master'], ['remote', 'add', 'origin', bare], ['add', '-A'], ['commit', '-qm', 'v0'], ['tag', '0.1.0'], ['push', '-q', 'origin', 'master', '--tags']]) {
      const r = await git(...args);
      expect(r.code, `git ${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    chmodSync(tmp, 0o755);

    env = {
      ...process.env,
      BBM_DEBIAN_BASE: 'bbm-local/debian:bookworm',
      BBM_NODE_BASE: 'bbm-local/node:20',
      BBM_MASTER_BASE: 'bbm-local/debian:bookworm',
      BBM_BUILDBOT_SOURCE: 'debian',
      BBM_SECRETS_DIR: sdir,
      BBM_REPOS_DIR: path.join(tmp, 'repos'),
      BBM_GENERATED_DIR: path.join(tmp, 'generated'),
      BBM_UI_PORT: String(ports.ui),
      BBM_PB_PORT: String(ports.pb),
      BBM_MSGPACK_PORT: String(ports.msgpack),
      BBM_REGISTRY_PORT: String(ports.registry),
      BBM_DB_PORT: String(ports.db),
      BBM_MARATHON_PORT: String(ports.marathon),
      BBM_HAPROXY_MARATHON_URL: `http://127.0.0.1:${ports.marathon}`,
      BBM_HAPROXY_HTTP_PORT: String(ports.vhost),
      BBM_TASK_PORTS: taskPorts,
      BBM_CLUSTER_NAME: project,
      BBM_WORKER_NAME: 'worker-1',
      // This run's own image tag: two runs on one engine never start each other's images.
      BBM_IMAGE_TAG: project,
      // A failing health check never finishes a deployment; bbm deploy gives up after this.
      BBM_DEPLOY_TIMEOUT: '90',
    };

    let t = Date.now();
    const build = await compose(['build'], 30 * MIN);
    expect(build.code, build.stderr.slice(-5000)).toBe(0);
    timings.imagesBuildSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    const up = await compose(['up', '-d'], 10 * MIN);
    expect(up.code, up.stderr.slice(-5000)).toBe(0);
    await until('the master REST API', async () => (await fetch(`${ui}api/v2/masters`)).ok, 5 * MIN, 1000).catch(async (e) => {
      throw new Error(`${String(e)}\n${await explain()}`);
    });
    await until(
      'worker-1 to connect',
      async () => {
        const w = await api<{ workers: { name: string; connected_to: unknown[] }[] }>('workers?name=worker-1');
        return (w.workers[0]?.connected_to.length ?? 0) > 0;
      },
      3 * MIN,
      1000,
    ).catch(async (e) => {
      throw new Error(`${String(e)}\n${await explain()}`);
    });
    // The default worker is `bbm worker`, and the master's msgpack port listens on 127.0.0.1 only.
    const w1 = await api<{ workers: { workerinfo: { version?: string } }[] }>('workers?name=worker-1');
    expect(String(w1.workers[0]?.workerinfo.version)).toMatch(/bbm worker/);
    const listening = (await exec('ss', ['-Hltn', `sport = :${ports.msgpack}`])).stdout.trim().split('\n').map((l) => l.split(/\s+/)[3]);
    expect(listening).toEqual([`127.0.0.1:${ports.msgpack}`]);
    await until('the registry', async () => (await fetch(`http://127.0.0.1:${ports.registry}/v2/`)).ok, 2 * MIN, 500);
    await until('bbm devcluster', async () => (await fetch(`http://127.0.0.1:${ports.marathon}/v2/info`)).ok, 2 * MIN, 500);
    timings.stackStartSeconds = (Date.now() - t) / 1000;
    builderId = (await api<{ builders: { builderid: number }[] }>('builders?name=hello')).builders[0]!.builderid;

    // The UI's login (basic auth against secrets/htpasswd) gives the session cookie the force form uses.
    const login = await fetch(`${ui}auth/login`, { headers: { authorization: `Basic ${Buffer.from(`admin:${secrets.admin}`).toString('base64')}` }, redirect: 'manual' });
    cookie = (login.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
    expect(cookie, `login answered ${login.status}`).toMatch(/=/);
  }, 45 * MIN);

  afterAll(async () => {
    if (env.BBM_SECRETS_DIR) {
      if (process.env.BBM_E2E_KEEP !== '1') await compose(['down', '-v', '--remove-orphans', '--timeout', '20'], 5 * MIN);
      // Task containers of this run's devcluster outlive it by design (they are adopted on restart).
      const ids = (await exec('docker', ['ps', '-aq', '--filter', `label=bbm.devcluster.name=${project}`])).stdout.split(/\s+/).filter(Boolean);
      if (ids.length && process.env.BBM_E2E_KEEP !== '1') await exec('docker', ['rm', '-f', ...ids]);
      const images = (await exec('docker', ['images', '-q', '--filter', `reference=127.0.0.1:${ports.registry}/hello`])).stdout.split(/\s+/).filter(Boolean);
      if (images.length && process.env.BBM_E2E_KEEP !== '1') await exec('docker', ['rmi', '-f', ...new Set(images)]);
      // this run's tags of the stack's images (their layers stay cached for the next run)
      if (process.env.BBM_E2E_KEEP !== '1') await exec('docker', ['rmi', ...['master', 'worker', 'postgres', 'registry'].map((i) => `buildbot-marathon/${i}:${project}`)]);
    }
    if (tmp && process.env.BBM_E2E_KEEP !== '1') rmSync(tmp, { recursive: true, force: true });
    process.stdout.write(`e2e timings: ${JSON.stringify(timings)}\n`);
  }, 10 * MIN);

  it('docker-compose accepts the file with and without the mesos profile, and starts only the default services', async () => {
    const plain = await compose(['config', '-q']);
    expect(plain.code, plain.stderr).toBe(0);
    const mesos = await compose(['--profile', 'mesos', 'config']);
    expect(mesos.code, mesos.stderr).toBe(0);
    for (const s of ['zookeeper:', 'mesos-master:', 'mesos-agent:', 'marathon:']) expect(mesos.stdout).toContain(`  ${s}`);
    expect(mesos.stdout).toMatch(/MESOS_CONTAINERIZERS: docker,mesos/);
    const running = await compose(['ps', '--services', '--filter', 'status=running']);
    expect(running.stdout.split(/\s+/).filter(Boolean).sort()).toEqual(['devcluster', 'haproxy', 'master', 'postgres', 'registry', 'worker']);
    // Built here, on the bases scripts/images.sh made (their labels are inherited).
    const master = await exec('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', `buildbot-marathon/master:${project}`]);
    expect(master.stdout).toContain('made by buildbot-marathon scripts/images.sh');
    const worker = await exec('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', `buildbot-marathon/worker:${project}`]);
    expect(worker.stdout).toContain('made by buildbot-marathon scripts/images.sh');
    // The master's UI listens on loopback only; PostgreSQL holds Buildbot's database.
    const master_ = await api<{ masters: { active: boolean }[] }>('masters');
    expect(master_.masters.some((m) => m.active)).toBe(true);
    const tables = await compose(['exec', '-T', '--user', 'postgres', 'postgres', 'sh', '-c', 'psql -h /run/postgresql -p "$PGPORT" -d buildbot -Atc "select count(*) from builders"']);
    expect(tables.code, tables.stderr).toBe(0);
    expect(Number(tables.stdout.trim())).toBeGreaterThanOrEqual(1);
  });

  it("the worker image runs bbm worker without Python's worker; Python only with a toolchain that needs it", async () => {
    const image = `buildbot-marathon/worker:${project}`;
    const sh = (img: string, script: string) => exec('docker', ['run', '--rm', '--entrypoint', 'sh', img, '-c', script]);
    // The stack's image: no buildbot-worker, no Twisted; python3 there because its toolchain (the
    // Dockerfile's default TOOLCHAIN_PACKAGES, for the stack's python project) brings it.
    const noPyWorker = await sh(image, 'command -v buildbot-worker || python3 -c "import buildbot_worker" || python3 -c "import twisted"');
    expect(noPyWorker.code, noPyWorker.stdout).not.toBe(0);
    const toolchain = await sh(image, 'python3 -m pytest --version && python3 -m venv --help >/dev/null && bbm --version');
    expect(toolchain.code, toolchain.stderr).toBe(0);
    // The same worker without any toolchain: the Dockerfile's `bare` stage, which the compose build
    // above already built (the legacy builder builds every stage): no Python at all.
    const bare = `buildbot-marathon/worker-bare:${project}`;
    const built = await exec('docker', ['build', '-q', '--target', 'bare', '--build-arg', `NODE_IMAGE=${env.BBM_NODE_BASE}`, '--build-arg', 'WORKER=bbm', '-t', bare, '-f', 'buildbot/worker.Dockerfile', '.'], { env, cwd: ROOT, timeoutMs: 10 * MIN });
    expect(built.code, built.stderr.slice(-3000)).toBe(0);
    try {
      const python = await sh(bare, 'command -v python3 || command -v python || ls /usr/bin/python* /usr/local/bin/python*');
      expect(python.code, `python in the bare bbm worker image: ${python.stdout}`).not.toBe(0);
      const works = await sh(bare, 'bbm worker --help >/dev/null && git --version && haproxy -v >/dev/null');
      expect(works.code, works.stderr).toBe(0);
    } finally {
      await exec('docker', ['rmi', bare]);
    }
  }, 15 * MIN);

  let v1Image = '';

  it('a pushed commit is tested, tagged, built, pushed, deployed, and served through HAProxy', async () => {
    writeFileSync(path.join(wc, 'www', 'index.html'), page('e2e v1'));
    const { sha, pushedAt } = await commitAndPush('v1');
    const started = await buildOf(sha);
    const b = await finished(started.buildid);
    const list = await steps(b.buildid);
    expect(b.results, `${describeSteps(list)}\n${await stepLog(b.buildid, 'deploy')}`).toBe(0);
    for (const name of ['checkout', 'install', 'pytest', 'tag', 'docker build', 'docker push', 'deploy']) {
      expect(list.find((s) => s.name === name)?.results, `step ${name}\n${describeSteps(list)}`).toBe(0);
    }
    expect(await stepLog(b.buildid, 'pytest')).toMatch(/2 passed/);
    const tag = String(b.properties.tag?.[0]);
    const image = String(b.properties.image?.[0]);
    expect(tag).toMatch(new RegExp(`^hello-${b.number}-master-0\\.1\\.0-1-g[0-9a-f]+$`));
    expect(image).toBe(`127.0.0.1:${ports.registry}/hello:${tag}`);
    // In the stack's registry …
    const tags = (await (await fetch(`http://127.0.0.1:${ports.registry}/v2/hello/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toContain(tag);
    // … running on the engine …
    const a = await app();
    expect(a?.container.docker.image).toBe(image);
    expect(a?.labels['bbm.commit']).toBe(sha);
    // … and served on the app's service port through HAProxy.
    const body = await until('HAProxy to serve v1', async () => ((await serviceBody())?.includes('e2e v1') ? serviceBody() : undefined), 2 * MIN, 500);
    expect(body).toContain('e2e v1');
    timings.firstDeployCommitToServingSeconds = (Date.now() - pushedAt) / 1000;
    v1Image = image;
    // The master image's web console at / (the stand-in for Debian's missing UI) and /bbm/; its
    // deployments endpoint reads the engine with the Marathon credentials from the master's secrets.
    for (const url of [ui, `${ui}bbm/`]) expect(await (await fetch(url)).text(), url).toContain('console.js');
    expect((await fetch(`${ui}bbm/api/deployments`)).status).toBe(401);
    const shown = (await (await fetch(`${ui}bbm/api/deployments`, { headers: { cookie } })).text());
    const deployed = (JSON.parse(shown) as { environments: { apps: { labels: Record<string, string>; container: { docker: { image: string } } }[] }[] }).environments[0]?.apps;
    expect(deployed?.find((x) => x.labels['bbm.commit'] === sha)?.container.docker.image, shown).toBe(image);
    for (const secret of [secrets.marathonUser, secrets.marathonPassword]) expect(shown).not.toContain(secret);
  }, 20 * MIN);

  let v2Build: Build | undefined;

  it('a second commit rolls over while a client keeps requesting through HAProxy: zero failed requests', async () => {
    expect(v1Image, 'needs the first deploy').not.toBe('');
    writeFileSync(path.join(wc, 'www', 'index.html'), page('e2e v2'));
    const { sha, pushedAt } = await commitAndPush('v2');
    const started = await buildOf(sha);
    // Clients keep requesting from before the rollout starts (the deploy step) until after it ended.
    await stepStarted(started.buildid, 'docker push');
    const load = startLoad(`http://127.0.0.1:${ports.service}/`, { keepAlive: 1, fresh: 1, accept: (b) => b.includes('e2e v1') || b.includes('e2e v2') });
    let firstV2 = 0;
    const watcher = (async () => {
      const deadline = Date.now() + 15 * MIN;
      while (!firstV2 && Date.now() < deadline) {
        if ((await serviceBody())?.includes('e2e v2')) firstV2 = Date.now();
        else await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const b = await finished(started.buildid);
    await until('HAProxy to serve only v2', async () => {
      for (let i = 0; i < 10; i++) if (!(await serviceBody())?.includes('e2e v2')) return false;
      return true;
    }, 2 * MIN, 500);
    await watcher;
    // Keep requesting a little after the switch: the old tasks are being killed now.
    await new Promise((r) => setTimeout(r, 3000));
    const result = await load.stop();
    const list = await steps(b.buildid);
    expect(b.results, describeSteps(list)).toBe(0);
    expect(result.ok).toBeGreaterThan(50);
    expect(result.failed, result.failures.join('\n')).toBe(0);
    expect([...result.bodies.keys()].some((k) => k.includes('e2e v1'))).toBe(true);
    expect([...result.bodies.keys()].some((k) => k.includes('e2e v2'))).toBe(true);
    v2Build = b;

    // Where commit → serving went. Buildbot's REST step times are whole seconds (3.7 stores them as
    // integers); each bbm step's last log line splits its own run exactly: its waits on the Docker
    // engine and on Marathon, and bbm's own share (src/timing.ts).
    const ms = (s: Step) => ((s.complete_at ?? 0) - (s.started_at ?? 0)) * 1000;
    const sum = (names: string[]) => list.filter((s) => names.includes(s.name)).reduce((n, s) => n + ms(s), 0);
    const buildMs = ((b.complete_at ?? 0) - b.started_at) * 1000;
    const stepsMs = list.reduce((n, s) => n + ms(s), 0);
    const bbmSteps = list.filter((s) => BBM_STEPS[s.name]);
    const told = await Promise.all(bbmSteps.map(async (s) => ({ step: s, t: lastTiming(await stepLog(b.buildid, s.name)) })));
    for (const { step, t } of told) {
      expect(t, `step ${step.name} ends with its timing line`).toBeDefined();
      expect(t!.command).toBe(BBM_STEPS[step.name]);
      expect(t!.waits.reduce((n, w) => n + w.ms, 0)).toBeLessThanOrEqual(t!.totalMs);
      expect(t!.ownMs).toBeLessThanOrEqual(t!.totalMs);
      // the process ran inside its step (Buildbot's times are whole seconds)
      expect(t!.totalMs).toBeLessThanOrEqual(ms(step) + 1000);
    }
    const waited = (what: string) => told.reduce((n, { t }) => n + (t?.waits.filter((w) => w.what === what).reduce((m, w) => m + w.ms, 0) ?? 0), 0);
    const bbmTotalMs = told.reduce((n, { t }) => n + (t?.totalMs ?? 0), 0);
    const split = {
      total_commit_to_first_v2_response_s: (firstV2 - pushedAt) / 1000,
      total_commit_to_build_green_s: ((b.complete_at ?? 0) * 1000 - pushedAt) / 1000,
      buildbot_s: (b.started_at * 1000 - pushedAt + sum(['worker_preparation', 'checkout']) + (buildMs - stepsMs)) / 1000,
      buildbot_around_bbm_processes_s: (sum(bbmSteps.map((s) => s.name)) - bbmTotalMs) / 1000,
      project_tests_s: sum(['virtualenv', 'install', 'pytest', 'setup.py test', 'sdist', 'wheel']) / 1000,
      docker_s: (waited('docker build') + waited('docker push')) / 1000,
      marathon_rollout_s: waited('Marathon rollout') / 1000,
      bbm_own_s: told.reduce((n, { t }) => n + (t?.ownMs ?? 0), 0) / 1000,
      bbm_own_by_step_s: Object.fromEntries(told.map(({ step, t }) => [step.name, (t?.ownMs ?? 0) / 1000])),
      bbm_invocations: told.length,
      first_v2_response_after_deploy_step_start_s: (firstV2 - (list.find((s) => s.name === 'deploy')?.started_at ?? 0) * 1000) / 1000,
      requests_ok: result.ok,
      requests_failed: result.failed,
    };
    expect(split.bbm_invocations).toBe(5); // layout (bbm detect --json), tag, build, push, deploy
    Object.assign(timings, split);
    process.stdout.write(`e2e commit → serving split: ${JSON.stringify(split, null, 2)}\n`);
  }, 25 * MIN);

  it('a build forced through the REST API (the UI form’s call) with deploy off builds and pushes but does not deploy', async () => {
    expect(v2Build, 'needs the second deploy').toBeDefined();
    const before = await app();
    const res = await fetch(`${ui}api/v2/forceschedulers/force`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({
        jsonrpc: '2.0',
        method: 'force',
        id: 1,
        params: { builderid: String(builderId), username: 'e2e', reason: 'e2e: no deploy', branch: '', revision: '', deploy: false },
      }),
    });
    const rpc = (await res.json()) as { result?: [number, Record<string, number>]; error?: unknown };
    expect(rpc.error, JSON.stringify(rpc)).toBeUndefined();
    const brid = Object.values(rpc.result![1])[0]!;
    const started = await until('the forced build', async () => (await api<{ builds: Build[] }>(`builds?buildrequestid=${brid}`)).builds[0], 3 * MIN, 500);
    const b = await finished(started.buildid);
    const list = await steps(b.buildid);
    expect(b.results, describeSteps(list)).toBe(0);
    expect(b.properties.deploy?.[0]).toBe(false);
    expect(list.find((s) => s.name === 'docker push')?.results).toBe(0);
    const deploy = list.find((s) => s.name === 'deploy');
    expect(deploy === undefined || deploy.results === 3, describeSteps(list)).toBe(true); // SKIPPED
    const tag = String(b.properties.tag?.[0]);
    expect(tag).toMatch(new RegExp(`^hello-${b.number}-master-`));
    const tags = (await (await fetch(`http://127.0.0.1:${ports.registry}/v2/hello/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toContain(tag);
    const after = await app();
    expect(after?.version).toBe(before?.version);
    expect(after?.container.docker.image).not.toContain(tag);
    expect(await serviceBody()).toContain('e2e v2');
  }, 20 * MIN);

  it('a commit whose new version fails its health check turns the build red, and the previous version keeps serving', async () => {
    expect(v2Build, 'needs the second deploy').toBeDefined();
    const before = await app();
    const def = JSON.parse(readFileSync(path.join(wc, 'marathon.json'), 'utf8'));
    def.healthChecks[0].path = '/no-such-page';
    def.healthChecks[0].gracePeriodSeconds = 10;
    writeFileSync(path.join(wc, 'marathon.json'), `${JSON.stringify(def, null, 2)}\n`);
    writeFileSync(path.join(wc, 'www', 'index.html'), page('e2e v3 (unhealthy)'));
    const { sha } = await commitAndPush('v3: health check fails');
    const started = await buildOf(sha);
    await stepStarted(started.buildid, 'docker push');
    const load = startLoad(`http://127.0.0.1:${ports.service}/`, { keepAlive: 1, fresh: 1, accept: (b) => b.includes('e2e v2') });
    const b = await finished(started.buildid);
    const result = await load.stop();
    const list = await steps(b.buildid);
    expect(b.results, describeSteps(list)).toBe(2); // FAILURE
    expect(list.find((s) => s.name === 'docker push')?.results).toBe(0);
    expect(list.find((s) => s.name === 'deploy')?.results, describeSteps(list)).toBe(2);
    expect(await stepLog(b.buildid, 'deploy')).toMatch(/roll/i);
    // The previous version is the app's version again and keeps serving, with no failed request.
    const after = await until('the rollback to finish', async () => {
      const a = await app();
      return a && a.container.docker.image === before?.container.docker.image ? a : undefined;
    }, 3 * MIN, 1000);
    expect(after.labels['bbm.build-number']).toBe(before?.labels['bbm.build-number']);
    for (let i = 0; i < 5; i++) expect(await serviceBody()).toContain('e2e v2');
    expect(result.ok).toBeGreaterThan(20);
    expect(result.failed, result.failures.join('\n')).toBe(0);
  }, 20 * MIN);

  it('nothing secret appears in any build log read back through the REST API', async () => {
    const builds = (await api<{ builds: Build[] }>(`builds?builderid=${builderId}`)).builds;
    expect(builds.length).toBeGreaterThanOrEqual(4);
    let logsRead = 0;
    let redactedSeen = 0;
    for (const b of builds) {
      for (const s of await steps(b.buildid)) {
        const logs = (await api<{ logs: { logid: number }[] }>(`steps/${s.stepid}/logs`)).logs;
        for (const l of logs) {
          const { status, body } = await text(`${ui}api/v2/logs/${l.logid}/raw`);
          expect(status).toBe(200);
          logsRead++;
          for (const [name, value] of Object.entries(secrets)) expect(body.includes(value), `secret ${name} in build ${b.number} step ${s.name}`).toBe(false);
          if (body.includes('<marathon-password>')) redactedSeen++;
        }
      }
    }
    expect(logsRead).toBeGreaterThan(20);
    // The deploy steps did render the Marathon credentials (into their environment): redacted.
    expect(redactedSeen).toBeGreaterThanOrEqual(2);
    // The step descriptions and properties do not carry them either.
    const all = JSON.stringify(await api(`builds?builderid=${builderId}&property=*`));
    for (const value of Object.values(secrets)) expect(all.includes(value)).toBe(false);
  }, 10 * MIN);

  // ---- reconfig without a restart (bbm generate + bbm-reconfig while a build runs) ----
  it('a project added while a build runs: bbm generate + bbm-reconfig apply it without a restart, the running build finishes green, the new builder builds; a file checkconfig refuses changes nothing', async () => {
    const r = reconfigWorld();
    // A build held running: its branch carries a test that waits for this test's word (the worker
    // shares the host's network), so the reconfig surely happens while it runs.
    const gate = await startTestServer();
    gate.handle((_req, res) => sendJson(res, 404, { held: true }));
    try {
      const masterid = (await api<{ masters: { masterid: number; active: boolean }[] }>('masters')).masters.find((m) => m.active)!.masterid;
      const activeBuilders = async () => (await api<{ builders: { name: string }[] }>(`masters/${masterid}/builders`)).builders.map((b) => b.name).sort();
      const before = await activeBuilders();
      expect(before).toContain('hello');
      expect(before).not.toContain(r.added);

      for (const args of [['checkout', '-q', '-b', r.branch], ['add', '-A'], ['commit', '-qm', 'held until released']]) {
        if (args[0] === 'add') writeFileSync(path.join(wc, 'tests', 'test_held.py'), heldTest(gate.url));
        const g = await git(...args);
        expect(g.code, g.stderr).toBe(0);
      }
      const push = await git('push', '-q', 'origin', r.branch);
      expect(push.code, push.stderr).toBe(0);
      expect((await git('checkout', '-q', 'master')).code).toBe(0);
      const held = await r.force(builderId, { branch: r.branch, deploy: false });
      await until('the held build to wait in pytest', () => gate.requests.length > 0, 5 * MIN, 500);
      const heldBuild = (await api<{ builds: Build[] }>(`builds?buildrequestid=${held}`)).builds[0]!;

      // A project more in the stack's config, generated, applied while the build waits.
      expect((await r.generate(r.withProject(r.config()))).status).toBe(0);
      const applied = await r.reconfig();
      expect(applied.code, `${applied.stdout}\n${applied.stderr}`).toBe(0);
      const after = await until('the new builder on the master', async () => ((await activeBuilders()).includes(r.added) ? activeBuilders() : undefined), 2 * MIN, 500);
      expect(after).toEqual([...before, r.added].sort());
      // The master was not restarted, and the held build is still running.
      const master = (await api<{ masters: { masterid: number; active: boolean }[] }>('masters')).masters.filter((m) => m.active);
      expect(master.map((m) => m.masterid)).toEqual([masterid]);
      expect((await api<{ builds: Build[] }>(`builds/${heldBuild.buildid}`)).builds[0]!.complete, 'the held build ended before the reconfig').toBe(false);

      // A configuration that fails checkconfig (generated for Buildbot 4.3; the stack runs 3.7) is
      // refused with the reason, and the master keeps the configuration it runs.
      expect((await r.generate({ ...r.withProject(r.withProject(r.config()), r.refused), buildbot: { ...r.config().buildbot, version: '4.3' } })).status).toBe(0);
      const refused = await r.reconfig();
      expect(refused.code, `${refused.stdout}\n${refused.stderr}`).toBe(2);
      const said = `${refused.stdout}\n${refused.stderr}`;
      expect(said).toMatch(/generated for Buildbot 4\.3/);
      expect(refused.stderr).toMatch(/bbm-reconfig: .* fails Buildbot's checkconfig .*nothing was reconfigured: the master keeps running its current configuration/);
      expect(said).not.toMatch(/Traceback/);

      // The held build finishes green: the master was never restarted under it.
      gate.handle((_req, res) => sendJson(res, 200, { released: true }));
      const heldDone = await finished(heldBuild.buildid);
      expect(heldDone.results, describeSteps(await steps(heldDone.buildid))).toBe(0);
      expect(await stepLog(heldDone.buildid, 'pytest')).toMatch(/3 passed/);

      // The new builder builds (on the configuration the refused file did not replace).
      const addedId = (await api<{ builders: { builderid: number }[] }>(`builders?name=${r.added}`)).builders[0]!.builderid;
      const forced = await r.force(addedId, { branch: '' });
      const built = await finished((await until('the new builder’s build', async () => (await api<{ builds: Build[] }>(`builds?buildrequestid=${forced}`)).builds[0], 3 * MIN, 500)).buildid);
      const list = await steps(built.buildid);
      expect(built.results, describeSteps(list)).toBe(0);
      expect(list.map((s) => s.name)).toEqual(expect.arrayContaining(['checkout', 'tag', 'docker build', 'docker push']));
      expect(String(built.properties.image?.[0])).toMatch(new RegExp(`^127\\.0\\.0\\.1:${ports.registry}/${r.added}:${r.added}-1-master-`));
      expect(await activeBuilders()).toEqual(after);
      r.images.push(String(built.properties.image?.[0]), String(heldDone.properties.image?.[0]));
    } finally {
      gate.handle((_req, res) => sendJson(res, 200, { released: true }));
      // The on-disk file matches the running configuration again.
      await r.generate(r.withProject(r.config())).catch(() => undefined);
      if (r.images.length) await exec('docker', ['rmi', '-f', ...r.images]);
      await gate.close();
    }
  }, 20 * MIN);
});

/** A pytest test that passes once `url`/release answers 200 (the stack test holds a build with it). */
function heldTest(url: string): string {
  return [
    'import time',
    'import urllib.request',
    '',
    '',
    'def test_held_until_released():',
    '    deadline = time.time() + 900',
    '    while time.time() < deadline:',
    '        try:',
    `            with urllib.request.urlopen(${JSON.stringify(`${url}/release`)}, timeout=5):`,
    '                return',
    '        except Exception:',
    '            time.sleep(0.5)',
    "    raise AssertionError('never released')",
    '',
  ].join('\n');
}

/** The reconfig test's world: the stack's config file, generate, bbm-reconfig in the master, forcing. */
function reconfigWorld() {
  const file = path.join(tmp, 'ci.config.json');
  const added = 'hello-image';
  const refused = 'never-applied';
  type Config = { buildbot: Record<string, unknown>; projects: Record<string, unknown>[] } & Record<string, unknown>;
  return {
    added,
    refused,
    branch: 'reconfig-held',
    images: [] as string[],
    config: () => JSON.parse(readFileSync(file, 'utf8')) as Config,
    withProject: (c: Config, name = added): Config => ({
      ...c,
      projects: [...c.projects, { name, repo: '/srv/git/hello.git', type: 'docker', branches: ['master'], buildArgs: { BASE_IMAGE: 'bbm-test/busybox:latest' } }],
    }),
    async generate(c: Config) {
      const f = path.join(tmp, 'ci.reconfig.json');
      writeFileSync(f, JSON.stringify(c, null, 2));
      const g = await bbm(['generate', '--config', f, '--out', path.join(tmp, 'generated', 'master.cfg')]);
      expect(g.status, g.stderr).toBe(0);
      return g;
    },
    reconfig: () => compose(['exec', '-T', 'master', 'bbm-reconfig'], 5 * MIN),
    /** The force form's JSON-RPC call as an admin; the build request id. */
    async force(builderid: number, params: Record<string, unknown>): Promise<number> {
      // The shared form that offers this builder (builders with other branches or no deploy share another one).
      const name = (await api<{ builders: { name: string }[] }>(`builders/${builderid}`)).builders[0]!.name;
      const form = (await api<{ forceschedulers: { name: string; builder_names: string[] }[] }>('forceschedulers')).forceschedulers.find((f) => f.builder_names.includes(name))!;
      const res = await fetch(`${ui}api/v2/forceschedulers/${form.name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'force', id: 1, params: { builderid: String(builderid), username: 'e2e', reason: 'e2e: reconfig', revision: '', ...params } }),
      });
      const rpc = (await res.json()) as { result?: [number, Record<string, number>]; error?: unknown };
      expect(rpc.error, JSON.stringify(rpc)).toBeUndefined();
      return Object.values(rpc.result![1])[0]!;
    },
  };
}
