/**
 * The generated master.cfg on Buildbot 4.3.0, run from its tagged public source on Debian's Python
 * (scripts/buildbot-from-source.sh MIRROR DIR). Optional: CI runs Debian's 3.7 and cannot fetch
 * Buildbot's source, so this suite runs only when BBM_BUILDBOT43_ROOT names such a DIR, and says
 * why it skips otherwise (BBM_REQUIRE_INTEGRATION does not require it). When it runs it checks:
 * the production image's constraints against the tag's own pins, checkconfig for each target
 * version, what the 4.3 file asks of Buildbot, and real builds on a reused workdir seeing new tags
 * (`tags=True`), on a 4.3 worker and on Debian's 3.7 worker (the production worker image's).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import type { CiConfig } from '../../src/config/types.js';
import { renderConfig } from '../../src/generate.js';
import { BUILDBOT_WORKER, PYTHON, checkconfig, freePort, masterDir, run, startForeground, stop, until, type Build, type Props } from '../support/buildbot.js';
import { baseConfig } from '../support/generate-config.js';
import { openRepo } from '../support/git-repo.js';
import { BASE_IMAGE, REGISTRY, components, describeWith, type Suite } from '../support/integration.js';

const ROOT = process.env.BBM_BUILDBOT43_ROOT;
const repoRoot = path.resolve(import.meta.dirname, '../..');
const REPOSITORY = 'bbm-test/buildbot43-run';

async function suite(): Promise<Suite> {
  if (!ROOT) {
    process.stderr.write(
      'skipping the Buildbot 4.3 suite (optional): set BBM_BUILDBOT43_ROOT to a folder made by `bash scripts/buildbot-from-source.sh MIRROR DIR` (see docs/stack.md)\n',
    );
    return (name, body) => describe.skip(name, body);
  }
  return describeWith([components.git, components.docker, components.registry, components.baseImage]);
}
const d = await suite();
const bb43 = () => path.join(ROOT!, 'bin', 'buildbot');
const bbw43 = () => path.join(ROOT!, 'bin', 'buildbot-worker');
const pythonpath = () => readFileSync(path.join(ROOT!, 'pythonpath'), 'utf8').trim();
const render = (c: CiConfig) => renderConfig(resolveConfig(c), 'ci.config.ts');

/** `pkg==version` lines of a requirements or constraints file; lines only for older Pythons (`python_version < …`, `== "3.8"`) are left out: the image has 3.11. */
function pins(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_.-]+)==([^;\s#]+)\s*(?:;\s*([^#]*))?/.exec(line.trim());
    if (!m || /python_version\s*(<|==)/.test(m[3] ?? '')) continue;
    out.set(m[1]!.toLowerCase(), m[2]!);
  }
  return out;
}

d('Buildbot 4.3.0 from source: constraints and checkconfig', () => {
  let root: string;
  beforeAll(() => {
    expect(existsSync(bb43()), `${bb43()} (run scripts/buildbot-from-source.sh)`).toBe(true);
    expect(run(bb43(), ['--version'])).toMatch(/Buildbot version: 4\.3\.0/);
    root = mkdtempSync(path.join(tmpdir(), 'bbm-bb43-check-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("pins what the production master image installs to Buildbot 4.3.0's own CI versions", () => {
    const ours = pins(readFileSync(path.join(repoRoot, 'buildbot/master/constraints-4.3.0.txt'), 'utf8'));
    const tag = new Map([
      ...pins(readFileSync(path.join(ROOT!, 'src/requirements-ci.txt'), 'utf8')),
      ...pins(readFileSync(path.join(ROOT!, 'src/requirements-cidb.txt'), 'utf8')),
      ...pins(readFileSync(path.join(ROOT!, 'src/requirements-pip.txt'), 'utf8')),
    ]);
    expect(ours.get('twisted')).toBe('24.11.0');
    expect(ours.get('sqlalchemy')).toBe('2.0.36');
    expect(ours.get('alembic')).toBe('1.14.0');
    for (const [name, version] of ours) expect(`${name}==${tag.get(name)}`).toBe(`${name}==${version}`);
    // Every requirement of the master and the worker (their egg-info's requires.txt) is pinned and met.
    const script = `
import sys
from packaging.requirements import Requirement
pins = dict(l.split('==') for l in open(sys.argv[1]).read().split() if '==' in l)
pins = {k.lower().replace('_', '-'): v for k, v in pins.items()}
bad = []
for egg in sys.argv[2:]:
    for line in open(egg + '/requires.txt').read().split('\\n\\n')[0].splitlines():
        r = Requirement(line)
        v = pins.get(r.name.lower().replace('_', '-'))
        if v is None or not r.specifier.contains(v, prereleases=True):
            bad.append('%s: %s (pinned: %s)' % (egg, line, v))
print('\\n'.join(bad))
`;
    const out = run(PYTHON, ['-c', script, path.join(repoRoot, 'buildbot/master/constraints-4.3.0.txt'), path.join(ROOT!, 'meta/buildbot.egg-info'), path.join(ROOT!, 'meta/buildbot_worker.egg-info')]);
    expect(out.trim()).toBe('');
  });

  it('accepts the file generated for 4.3 and refuses the one for 3.7, saying what to set', async () => {
    const check = (text: string) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        const dir = masterDir(mkdtempSync(path.join(root, 'm-')), text);
        const r = spawnSync(bb43(), ['checkconfig', dir], { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: dir }, timeout: 120_000 });
        resolve({ code: r.status ?? 1, output: r.stdout + r.stderr });
      });
    const ok = await check(render(baseConfig(undefined, '4.3')));
    expect(ok.output).toMatch(/Config file is good!/);
    const refused = await check(render(baseConfig(undefined, '3.7')));
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/generated for Buildbot 3\.7 .*this master runs Buildbot 4\.3\.0: set buildbot\.version: '4\.3'/);
    // And Debian's 3.7 refuses the 4.3 file (the counterpart runs in CI: generate-checkconfig.test.ts).
    expect((await checkconfig(masterDir(mkdtempSync(path.join(root, 'm-')), render(baseConfig(undefined, '4.3'))))).output).toMatch(/set buildbot\.version: '3\.7'/);
  });

  it('asks 4.3 for tags on checkout, a hidden force Priority, projects, and no views that are not installed', () => {
    const c = baseConfig([
      { name: 'web', repo: 'https://git.example.com/web.git', type: 'node' },
      { name: 'api', repo: 'https://git.example.com/api.git', type: 'go' },
    ], '4.3');
    c.buildbot.forceSchedulers = 'perProject';
    const dir = masterDir(mkdtempSync(path.join(root, 'm-')), render(c));
    const script = `
import json
ns = {'__file__': 'master.cfg'}
exec(compile(open('master.cfg').read(), 'master.cfg', 'exec'), ns)
c = ns['BuildmasterConfig']
force = [s for s in c['schedulers'] if s.name.startswith('force')]
print(json.dumps({
  'checkout_tags': [b.factory.steps[0].kwargs.get('tags') for b in c['builders']],
  'priority_hidden': [s._config_kwargs['priority'].hide for s in force],
  'projects': [[p.name, p.description] for p in c['projects']],
  'builder_projects': [b.project for b in c['builders']],
  'plugins': c['www']['plugins'],
}))
`;
    const r = spawnSync(PYTHON, ['-c', script], { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', PYTHONPATH: pythonpath() } });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      checkout_tags: [true, true],
      priority_hidden: [true, true],
      projects: [['web', 'https://git.example.com/web.git'], ['api', 'https://git.example.com/api.git']],
      builder_projects: ['web', 'api'],
      plugins: {}, // the stand-in base plugin only: no waterfall, console or grid view to enable
    });
  });
});


d('Buildbot 4.3.0 from source: builds of a generated master.cfg', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let api: string;
  let builderid: number;
  let pbPort: number;
  let workerPassword: string;
  const images: string[] = [];
  const twistdLog = () => path.join(root, 'master', 'twistd.log');

  // Every request has a deadline: one of this suite's runs saw a response that never ended.
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${api}${p}`, { signal: AbortSignal.timeout(20_000) });
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return (await res.json()) as T;
  };

  const startWorker = (file: string, name: string) => {
    const dir = path.join(root, name);
    run(file, ['create-worker', '-q', dir, `127.0.0.1:${pbPort}`, 'w1', 'placeholder'], { env: { PATH: '/usr/bin:/bin', HOME: root } });
    const tac = path.join(dir, 'buildbot.tac');
    writeFileSync(tac, readFileSync(tac, 'utf8').replace("passwd = 'placeholder'", `passwd = ${JSON.stringify(workerPassword)}`));
    const shim = path.join(root, 'bin');
    return startForeground(file, dir, { PATH: `${shim}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: root, LANG: 'C.UTF-8' });
  };
  const connected = (version: RegExp) =>
    until(
      'the worker to connect',
      async () => {
        const { workers } = await get<{ workers: { name: string; connected_to: unknown[]; workerinfo: { version?: string } }[] }>('/workers');
        return workers.find((w) => w.name === 'w1' && w.connected_to.length > 0 && version.test(w.workerinfo.version ?? ''));
      },
      120_000,
      twistdLog(),
    );

  /** Forces a build of master (anyone may force in this test's config) and waits for it to finish. */
  const forcedBuild = async (): Promise<{ build: Build; props: Props; checkoutLog: string }> => {
    const res = await fetch(`${api}/forceschedulers/force`, {
      signal: AbortSignal.timeout(60_000),
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'force', id: 1, params: { builderid: String(builderid), branch: 'master', reason: '4.3 test' } }),
    });
    const answer = (await res.json()) as { result?: [number, Record<string, number>]; error?: unknown };
    expect(answer.error, JSON.stringify(answer)).toBeUndefined();
    const brid = answer.result![1][String(builderid)]!;
    const build = await until(
      'the forced build',
      async () => (await get<{ builds: Build[] }>(`/buildrequests/${brid}/builds`)).builds.find((b) => b.complete),
      300_000,
      twistdLog(),
    );
    const props = (await get<{ properties: Props[] }>(`/builds/${build.buildid}/properties`)).properties[0]!;
    if (typeof props.image?.[0] === 'string') images.push(props.image[0]);
    const { steps } = await get<{ steps: { number: number; name: string }[] }>(`/builds/${build.buildid}/steps`);
    const n = steps.find((s) => s.name === 'checkout')!.number;
    const checkoutLog = await until(
      'the checkout log',
      async () => (await fetch(`${api}/builds/${build.buildid}/steps/${n}/logs/stdio/raw`, { signal: AbortSignal.timeout(20_000) })).text(),
      120_000,
    );
    return { build, props, checkoutLog };
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-bb43-run-'));
    const wwwPort = await freePort();
    pbPort = await freePort();
    const www = `http://127.0.0.1:${wwwPort}/`;
    api = `${www}api/v2`;

    const bare = path.join(root, 'app.git');
    run('git', ['init', '-q', '--bare', '-b', 'master', bare]);
    const wc = openRepo(path.join(root, 'wc'));
    run('git', ['clone', '-q', bare, wc.dir]);
    writeFileSync(path.join(wc.dir, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nLABEL bbm.test=buildbot43\n');
    wc.git('add', '-A');
    wc.commit('first');
    wc.git('tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
    wc.git('push', '-q', 'origin', 'master', '--tags');

    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    chmodSync(secrets, 0o700);
    workerPassword = `wp-${process.pid}-${Date.now()}`;
    writeFileSync(path.join(secrets, 'worker-w1'), workerPassword, { mode: 0o600 });
    const masterCfg = renderConfig(
      resolveConfig({
        registry: REGISTRY,
        marathon: { url: 'http://127.0.0.1:9/' },
        buildbot: {
          url: www,
          version: '4.3',
          workers: [{ name: 'w1' }],
          www: { address: '127.0.0.1', port: wwwPort, allow: { force: ['*'] } },
          workerAddress: '127.0.0.1',
          workerPort: pbPort,
          secretsDir: secrets,
        },
        changeSources: { pollInterval: 0 },
        projects: [{ name: 'app', repo: bare, type: 'docker', branches: ['master'], repository: REPOSITORY, buildArgs: { BASE: BASE_IMAGE } }],
      }),
      'ci.config.ts',
    );

    const dir = path.join(root, 'master');
    run(bb43(), ['create-master', '-q', dir], { env: { PATH: '/usr/bin:/bin', HOME: root } });
    writeFileSync(path.join(dir, 'master.cfg'), masterCfg);
    master = startForeground(bb43(), dir, { PATH: '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8' });
    const shim = path.join(root, 'bin');
    mkdirSync(shim);
    writeFileSync(path.join(shim, 'bbm'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'dist', 'cli.js'))} "$@"\n`, { mode: 0o755 });
    await until('the 4.3 master', async () => ((await get<{ masters: { active: boolean }[] }>('/masters')).masters.some((m) => m.active) ? true : undefined), 120_000, twistdLog());
    builderid = (await get<{ builders: { builderid: number }[] }>('/builders?name=app')).builders[0]!.builderid;
    worker = startWorker(bbw43(), 'worker43');
    await connected(/^4\.3\.0$/);
  }, 300_000);

  afterAll(async () => {
    await stop(worker);
    await stop(master);
    for (const image of images) spawnSync('docker', ['image', 'rm', image], { stdio: 'ignore' });
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('the master shows the project and a force form whose Priority field is hidden', async () => {
    const { projects } = await get<{ projects: { name: string }[] }>('/projects');
    expect(projects.map((p) => p.name)).toEqual(['app']);
    const { forceschedulers } = await get<{ forceschedulers: { name: string; all_fields: { fields?: { name: string; hide: boolean }[] }[] }[] }>('/forceschedulers');
    const fields = forceschedulers[0]!.all_fields.flatMap((f) => f.fields ?? []);
    expect(fields.find((f) => f.name === 'priority')?.hide).toBe(true);
    expect(fields.find((f) => f.name === 'reason')?.hide).toBe(false);
  });

  it('a reused workdir sees a tag pushed after its first clone (tags=True), on a 4.3 worker', async () => {
    const first = await forcedBuild();
    expect(first.build.results, first.checkoutLog).toBe(0);
    expect(first.props.describe?.[0]).toBe('v1.0.0');

    const wc = openRepo(path.join(root, 'wc'));
    wc.commit('second');
    wc.git('tag', '-a', 'v1.1.0', '-m', 'v1.1.0');
    wc.git('push', '-q', 'origin', 'master', '--tags');
    const second = await forcedBuild();
    expect(second.build.results, second.checkoutLog).toBe(0);
    expect(second.props.describe?.[0]).toBe('v1.1.0');
    // The same workdir, updated by `git fetch -f --tags …` (4.3 without tags=True: `git fetch -f --progress URL master`).
    expect(second.checkoutLog).toMatch(/git fetch -f --tags /);
    expect(second.checkoutLog).not.toMatch(/git clone/);
    expect(second.props.tag?.[0]).toBe(`app-${second.build.number}-master-v1.1.0`);
  }, 600_000);

  it("Debian's 3.7 worker (the production worker image's) runs the 4.3 master's builds", async () => {
    await stop(worker);
    worker = startWorker(BUILDBOT_WORKER, 'worker37');
    await connected(/^3\.7/);
    const wc = openRepo(path.join(root, 'wc'));
    wc.commit('third');
    wc.git('tag', '-a', 'v1.2.0', '-m', 'v1.2.0');
    wc.git('push', '-q', 'origin', 'master', '--tags');
    const build = await forcedBuild();
    expect(build.build.results, build.checkoutLog).toBe(0);
    expect(build.props.describe?.[0]).toBe('v1.2.0');
  }, 600_000);
});
