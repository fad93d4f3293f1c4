/**
 * The generator's recipes end to end with `bbm worker`, beside `buildbot-worker`: one generated
 * master.cfg (plus the msgpack port) on Debian's Buildbot 3.7, one worker name. First the Python
 * worker (PB) builds every project, then it stops and `bbm worker` (msgpack) connects under the same
 * name and builds them again; both must give the same steps and results. Builds run for real: venv +
 * pip + pytest, npm ci + npm test, bbm tag, docker build (real engine), docker push (local registry);
 * the deploy step is skipped (forced with deploy off). The master runs in a private network namespace
 * (test/support/msgpack-master.ts); Docker is reached through its socket.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { BUILDBOT_WORKER, run, stop, until } from '../support/buildbot.js';
import { BASE_IMAGE, REGISTRY, components, describeWith, type Component } from '../support/integration.js';
import { MSGPACK_PORT, netnsAvailable, PB_PORT, startBbmWorker, startNamespace, TestMaster, type FinishedBuild, type Namespace } from '../support/msgpack-master.js';

const netns: Component = { name: 'network namespaces (unshare -n, nsenter, ip; root)', fix: 'run as root with util-linux and iproute2 (scripts/setup.sh)', probe: async () => netnsAvailable() };
const pytest: Component = { name: 'python3 with venv, pip, pytest, setuptools', fix: 'run `bash scripts/setup.sh`', probe: async () => spawnSync('/usr/bin/python3', ['-c', 'import venv, pytest, setuptools, wheel']).status === 0 && spawnSync('/usr/bin/python3', ['-m', 'pip', '--version']).status === 0 };
const d = await describeWith([components.buildbot, components.git, components.docker, components.registry, components.baseImage, netns, pytest]);

const repoRoot = path.resolve(import.meta.dirname, '../..');
const REPOSITORY = 'bbm-test/worker-recipes';
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };

/** A bare repository with one tagged commit of `files`. */
function project(root: string, name: string, files: Record<string, string>): string {
  const bare = path.join(root, `${name}.git`);
  const wc = path.join(root, `${name}-wc`);
  run('git', ['init', '-q', '--bare', '-b', 'master', bare]);
  run('git', ['clone', '-q', bare, wc]);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(wc, f)), { recursive: true });
    writeFileSync(path.join(wc, f), text);
  }
  run('git', ['-C', wc, 'add', '-A'], { env: gitEnv });
  run('git', ['-C', wc, 'commit', '-q', '-m', 'first'], { env: gitEnv });
  run('git', ['-C', wc, 'tag', '-a', 'v1.0.0', '-m', 'v1.0.0'], { env: gitEnv });
  run('git', ['-C', wc, 'push', '-q', 'origin', 'master', '--tags'], { env: gitEnv });
  return bare;
}

const DOCKERFILE = 'ARG BASE\nFROM ${BASE}\nCOPY marker.txt /app/marker.txt\nLABEL bbm.test=worker-recipes\n';
const NODE = {
  'package.json': JSON.stringify({ name: 'app', version: '1.0.0', private: true, scripts: { test: 'node test.js' } }),
  'package-lock.json': JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0' } } }),
  'test.js': "console.log('node tests passed');\n",
  'marker.txt': 'node\n',
  Dockerfile: DOCKERFILE,
};
const PROJECTS = {
  pyapp: { type: 'python', files: { 'setup.py': "from setuptools import setup\nsetup(name='pyapp', version='1.0', py_modules=['pyapp'])\n", 'pyapp.py': 'def answer():\n    return 42\n', 'tests/test_pyapp.py': 'import pyapp\n\ndef test_answer():\n    assert pyapp.answer() == 42\n', 'marker.txt': 'py\n', Dockerfile: DOCKERFILE } },
  nodeapp: { type: 'node', files: NODE },
  dockapp: { type: 'docker', files: { 'marker.txt': 'docker\n', Dockerfile: DOCKERFILE } },
  autoapp: { type: 'auto', files: { ...NODE, 'marker.txt': 'auto\n' } },
} as const;

d('the recipes end to end: buildbot-worker, then bbm worker, on one generated master.cfg', () => {
  let root: string;
  let ns: Namespace;
  let master: TestMaster;
  let worker: ChildProcess | undefined;
  let workerEnv: NodeJS.ProcessEnv;
  let passwordFile: string;
  const images: string[] = [];
  const results: Record<'py' | 'bbm', Record<string, FinishedBuild>> = { py: {}, bbm: {} };

  const buildAll = async (): Promise<Record<string, FinishedBuild>> => {
    const entries = await Promise.all(Object.keys(PROJECTS).map(async (name) => [name, await master.build(name, { branch: 'master', reason: 'worker test', deploy: false }, 'force', 300_000)] as const));
    for (const [, b] of entries) {
      const props = (await master.get<{ properties: Record<string, [unknown, string]>[] }>(`/builds/${b.buildid}/properties`)).properties[0]!;
      if (typeof props.image?.[0] === 'string') images.push(props.image[0]);
    }
    return Object.fromEntries(entries);
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-worker-recipes-'));
    chmodSync(root, 0o755);
    const password = `wp-${process.pid}-${Date.now()}`;
    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    writeFileSync(path.join(secrets, 'worker-w1'), password, { mode: 0o600 });
    passwordFile = path.join(root, 'w1-password');
    writeFileSync(passwordFile, password, { mode: 0o600 });

    const config = resolveConfig({
      registry: REGISTRY,
      marathon: { url: 'http://127.0.0.1:9/' },
      buildbot: { url: 'http://localhost/', title: 'worker recipes', version: '3.7', workers: [{ name: 'w1', maxBuilds: 4 }], workerAddress: '127.0.0.1', workerPort: PB_PORT, secretsDir: secrets },
      changeSources: { pollInterval: 600 },
      projects: Object.entries(PROJECTS).map(([name, p]) => ({
        name,
        repo: project(root, name, p.files),
        type: p.type,
        branches: ['master'],
        repository: `${REPOSITORY}-${name}`,
        buildArgs: { BASE: BASE_IMAGE },
        deploy: { branches: ['master'], app: 'marathon.json' },
      })),
    });
    // The generated file, plus what this test needs: the msgpack port, the REST API on a unix
    // socket, and no login (authorization is not what this test is about).
    const cfg = `${renderConfig(config, 'ci.config.ts')}
c['protocols']['msgpack_experimental_v7'] = {'port': ${MSGPACK_PORT}}
c['www']['port'] = ${JSON.stringify(`unix:${path.join(root, 'www.sock')}`)}
c['www'].pop('auth', None)
c['www']['authz'] = util.Authz()
c['www']['plugins'] = {}
`;
    ns = await startNamespace();
    master = new TestMaster(ns, root);
    master.create(cfg, root);
    await master.start();

    const shim = path.join(root, 'bin');
    mkdirSync(shim);
    writeFileSync(path.join(shim, 'bbm'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'dist', 'cli.js'))} "$@"\n`, { mode: 0o755 });
    workerEnv = {
      PATH: `${shim}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: root,
      LANG: 'C.UTF-8',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      npm_config_cache: path.join(root, 'npm-cache'),
    };
  }, 180_000);

  afterAll(async () => {
    await stop(worker, 30_000);
    await master?.stop();
    await ns?.close();
    for (const image of images) spawnSync('docker', ['image', 'rm', image], { stdio: 'ignore' });
    if (root && !process.env.BBM_TEST_KEEP) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('buildbot-worker (PB) builds every recipe', async () => {
    const dir = path.join(root, 'worker-py');
    run(BUILDBOT_WORKER, ['create-worker', '-q', dir, `127.0.0.1:${PB_PORT}`, 'w1', 'placeholder'], { env: workerEnv });
    const tac = path.join(dir, 'buildbot.tac');
    writeFileSync(tac, (await import('node:fs')).readFileSync(tac, 'utf8').replace("passwd = 'placeholder'", `passwd = open(${JSON.stringify(passwordFile)}).read().strip()`));
    worker = ns.spawn(BUILDBOT_WORKER, ['start', '--nodaemon', dir], { cwd: dir, env: workerEnv });
    await master.waitConnected('w1', 120_000);
    results.py = await buildAll();
    for (const [name, b] of Object.entries(results.py)) expect(b.results, `${name}: ${JSON.stringify(b.steps)}`).toBe(0);
    await stop(worker, 30_000);
    await until('w1 to disconnect', async () => ((await master.worker('w1'))?.connected_to.length === 0 ? true : undefined), 60_000);
  }, 600_000);

  it('bbm worker (msgpack) builds every recipe with the same steps and results', async () => {
    worker = startBbmWorker(ns, {
      name: 'w1',
      passwordFile,
      basedir: path.join(root, 'worker-bbm'),
      env: workerEnv,
      log: path.join(root, 'bbm-worker.log'),
      extra: ['--pass-env', 'npm_config_audit', '--pass-env', 'npm_config_fund', '--pass-env', 'npm_config_update_notifier', '--pass-env', 'npm_config_cache'],
    });
    await master.waitConnected('w1', 120_000);
    results.bbm = await buildAll();
    for (const name of Object.keys(PROJECTS)) {
      const [p, b] = [results.py[name]!, results.bbm[name]!];
      const view = (x: FinishedBuild) => x.steps.map((s) => `${s.name}=${s.results}`);
      expect(view(b), name).toEqual(view(p));
      expect(b.results, `${name}: ${JSON.stringify(b.steps)}`).toBe(0);
      expect(b.steps.find((s) => s.name === 'deploy')?.results, `${name} deploy`).toBe(3);
    }
    for (const image of images) {
      const [repo, tag] = image.slice(REGISTRY.length + 1).split(':') as [string, string];
      const tags = (await (await fetch(`http://${REGISTRY}/v2/${repo}/tags/list`)).json()) as { tags: string[] };
      expect(tags.tags).toContain(tag);
    }
    const pytestStep = results.bbm.pyapp!.steps.find((s) => s.name === 'pytest')!;
    expect(await master.stepLog(results.bbm.pyapp!.buildid, pytestStep.number)).toMatch(/1 passed/);
  }, 600_000);
});
