import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { PROJECT_TYPES, type CiConfig, type ProjectConfig } from '../../src/config/types.js';
import { renderConfig } from '../../src/generate.js';
import { checkconfig, masterDir, summarize } from '../support/buildbot.js';
import { HOSTILE_BRANCHES, HOSTILE_STRINGS, baseConfig } from '../support/generate-config.js';
import { components, describeWith } from '../support/integration.js';

const d = await describeWith([components.buildbot]);
// Made on first use and removed after the file, so a skipped suite leaves nothing behind.
let root: string | undefined;
let n = 0;
const dirFor = (text: string, secrets: Record<string, string> = {}) =>
  masterDir(path.join((root ??= mkdtempSync(path.join(tmpdir(), 'bbm-checkconfig-'))), String(n++)), text, secrets);
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});
const render = (c: CiConfig) => renderConfig(resolveConfig(c), 'ci.config.ts');

function fullConfig(): CiConfig {
  const projects: ProjectConfig[] = [...PROJECT_TYPES, 'auto' as const].map((type, i) => ({
    name: `${type}-app`,
    repo: i % 2 ? `git@git.example.com:team/${type}.git` : `https://git.example.com/team/${type}.git`,
    type,
    branches: ['main', 'develop'],
    deploy: { branches: ['main'], appId: `/team/${type}` },
    buildArgs: { BASE_IMAGE: 'base:1', VERSION: '2' },
  }));
  projects[0]!.credentials = { userSecret: 'git-user', tokenSecret: 'git-token' };
  projects[0]!.buildEveryCommit = true;
  projects[2]!.status = 'gitlab';
  projects[1]!.credentials = { sshKeySecret: 'git-key', knownHostsSecret: 'git-known-hosts' };
  // Two projects of one repository share its poller.
  projects.push({ name: 'docs', repo: 'https://git.example.com/team/python.git', type: 'docker', branches: ['gh-pages'] });
  return {
    registry: { host: 'registry.example.com:5000', userSecret: 'registry-user', passwordSecret: 'registry-password' },
    marathon: { url: 'https://marathon.example.com:8443', userSecret: 'marathon-user', passwordSecret: 'marathon-password' },
    buildbot: {
      url: 'https://ci.example.com/',
      title: 'team CI',
      version: '3.7',
      workers: [{ name: 'jvm', types: ['maven', 'gradle'], maxBuilds: 2 }, { name: 'general', passwordSecret: 'general-pw' }],
      www: { address: '0.0.0.0', port: 8011, auth: { htpasswd: 'users.txt' }, roles: { admins: ['ann'], devs: ['dan', 'dora'] }, allow: { force: ['admins', 'devs'], stop: ['admins'], rebuild: ['*'] } },
      workerPort: 9999,
      bbm: ['node', '/opt/bbm/dist/cli.js'],
      db: { urlSecret: 'db-url' },
      forceSchedulers: 'perProject',
    },
    changeSources: { pollInterval: 300, github: { secret: 'github-hook' }, gitlab: { secret: 'gitlab-hook' }, pollerHook: true },
    status: { github: { tokenSecret: 'github-token' }, gitlab: { tokenSecret: 'gitlab-token', url: 'https://gitlab.example.com' } },
    projects,
  };
}

d('buildbot checkconfig on generated master.cfg files', () => {

  it('accepts environments with promotion: a deploy step per fed environment, promote and rollback builders with tags', async () => {
    const c: CiConfig = {
      registry: '127.0.0.1:5000',
      environments: {
        staging: { url: 'http://127.0.0.1:8081', userSecret: 'st-user', passwordSecret: 'st-pass', appIdPrefix: '/staging' },
        qa: { url: 'http://127.0.0.1:8081', appIdPrefix: '/qa' },
        production: { url: 'https://marathon.example.com', tokenSecret: 'prod-token', haproxyGroup: 'external' },
      },
      buildbot: { version: '3.7', url: 'http://127.0.0.1:8010/', workers: [{ name: 'w' }], www: { auth: { htpasswd: 'users' }, roles: { admins: ['ann'], ops: ['olga'] } } },
      projects: [
        {
          name: 'hello',
          repo: 'https://git.example.com/hello.git',
          type: 'docker',
          branches: ['main', 'next'],
          deploy: { environments: { staging: { branches: ['main'], instances: 1 }, qa: { branches: ['next'] }, production: { promoteFrom: 'staging', promoteRoles: ['ops'], instances: 4, labels: { tier: 'prod' } } } },
        },
      ],
    };
    const text = render(c);
    const dir = dirFor(text);
    const r = await checkconfig(dir);
    expect(r.output).toMatch(/Config file is good!/);
    const s = summarize(dir);
    expect(s.builders.map((b) => [b.name, b.steps])).toEqual([
      ['hello', ['checkout', 'tag', 'docker build', 'docker push', 'deploy to staging', 'deploy to qa']],
      ['hello-promote', ['targets', 'find source', 'checkout', 'template of the source build', 'promote']],
      ['hello-rollback', ['targets', 'rollback']],
    ]);
    expect(s.schedulers).toEqual(['on-change', 'force', 'promote-hello', 'rollback-hello']);
    // only the configured role may force the promote and rollback builders; secrets only by name
    expect(text).toContain("util.ForceBuildEndpointMatcher(builder='hello-promote', role='ops', defaultDeny=True)");
    expect(text).toContain("util.ForceBuildEndpointMatcher(builder='hello-rollback', role='ops', defaultDeny=True)");
    expect(text).toContain("'credentialsEnv': 'PRODUCTION_MARATHON'");
    // The promote step holds the target app's deploy lock: the one MasterLock per (environment, app)
    // that the deploy step of that app and the rollback builder hold too.
    const locks = `
import json
ns = {'__file__': 'master.cfg'}
exec(compile(open('master.cfg').read(), 'master.cfg', 'exec'), ns)
builders = {b.name: b for b in ns['BuildmasterConfig']['builders']}
def step(builder, name):
    return [f for f in builders[builder].factory.steps if f.kwargs.get('name') == name][0]
class Props:
    def __init__(self, env):
        self.env = env
    def getProperty(self, key, default=None):
        return self.env if key == 'environment' else default
def held(builder, name, env):
    return [(a.lockid.name, a.mode) for a in step(builder, name).kwargs['locks'].fn(Props(env))]
deploy = step('hello', 'deploy to staging').kwargs['locks'][0]
print(json.dumps({
  'promote': held('hello-promote', 'promote', 'production'),
  'rollback': held('hello-rollback', 'rollback', 'production'),
  'rollbackStaging': held('hello-rollback', 'rollback', 'staging'),
  'deployStaging': [(deploy.lockid.name, deploy.mode)],
  'same': step('hello-promote', 'promote').kwargs['locks'].fn(Props('production'))[0].lockid is ns['_deploy_lock']('production', '/hello'),
}))
`;
    const py = spawnSync('/usr/bin/python3', ['-c', locks], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(py.status, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual({
      promote: [['deploy production /hello', 'exclusive']],
      rollback: [['deploy production /hello', 'exclusive']],
      rollbackStaging: [['deploy staging /staging/hello', 'exclusive']],
      deployStaging: [['deploy staging /staging/hello', 'exclusive']],
      same: true,
    });
  });

  it("accepts the repository's own generated/master.cfg", async () => {
    const text = readFileSync(path.resolve(import.meta.dirname, '../../generated/master.cfg'), 'utf8');
    const r = await checkconfig(dirFor(text));
    expect(r.output).toMatch(/Config file is good!/);
    expect(r.code).toBe(0);
  });

  it('accepts every project type with every option, with few pollers and schedulers', async () => {
    const text = render(fullConfig());
    expect(text).toContain("c['db'] = {'db_url': _db_url('db-url')}");
    const dir = dirFor(text, { 'db-url': 'sqlite:///state.sqlite' });
    const r = await checkconfig(dir);
    expect(r.output).toMatch(/Config file is good!/);
    const s = summarize(dir);
    expect(s.schedulers).toEqual(['on-change', ...fullConfig().projects.map((p) => `force-${p.name}`)]);
    expect(s.pollers).toHaveLength(7); // 8 projects, 7 repositories
    expect(s.pollers.find((p) => p.repourl.endsWith('team/python.git'))?.branches).toEqual(['main', 'develop', 'gh-pages']);
    expect(s.hooks).toEqual(['github', 'gitlab', 'poller']);
    // Named by the repository's key: reordering projects or respelling the URL keeps the poll state.
    expect(s.pollers.find((p) => p.repourl.endsWith('team/python.git'))?.name).toBe('poll git.example.com/team/python');
    const maven = s.builders.find((b) => b.name === 'maven-app')!;
    expect(maven.workernames).toEqual(['jvm', 'general']);
    expect(maven.steps).toEqual(['checkout', 'mvn verify', 'mvn package', 'tag', 'docker build', 'docker push', 'deploy']);
    expect(s.builders.find((b) => b.name === 'auto-app')!.steps).toEqual(['checkout', 'detect', '_AddTypeSteps', 'tag', 'docker build', 'docker push', 'deploy']);
    expect(s.builders.find((b) => b.name === 'python-app')!.workernames).toEqual(['general']);
    expect(s.builders.find((b) => b.name === 'docs')!.steps).toEqual(['checkout', 'tag', 'docker build', 'docker push']);
  });

  it("refuses a file generated for another Buildbot version and says what to set (Debian's is 3.7)", async () => {
    for (const version of ['4.3', '3.9']) {
      const r = await checkconfig(dirFor(render(baseConfig(undefined, version))));
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(new RegExp(`generated for Buildbot ${version.replace('.', '\\.')} .*this master runs Buildbot 3\\.7.*set buildbot\\.version: '3\\.7'`));
      expect(r.output).not.toMatch(/Traceback/);
    }
  });

  it('enables the waterfall, console and grid views that are installed, and only those', () => {
    // Stand-in www plugins under the views' entry point names (Debian ships none of them).
    const plugins = path.join((root ??= mkdtempSync(path.join(tmpdir(), 'bbm-checkconfig-'))), 'views');
    mkdirSync(path.join(plugins, 'bbm_test_views-1.0.egg-info'), { recursive: true });
    writeFileSync(path.join(plugins, 'bbm_test_views.py'), 'ep = object()\n');
    writeFileSync(path.join(plugins, 'bbm_test_views-1.0.egg-info', 'PKG-INFO'), 'Metadata-Version: 2.1\nName: bbm-test-views\nVersion: 1.0\n');
    writeFileSync(path.join(plugins, 'bbm_test_views-1.0.egg-info', 'entry_points.txt'), '[buildbot.www]\nwaterfall_view = bbm_test_views:ep\ngrid_view = bbm_test_views:ep\n');
    const dir = dirFor(render(baseConfig()));
    const script = "ns = {}\nexec(compile(open('master.cfg').read(), 'master.cfg', 'exec'), ns)\nprint(sorted(ns['BuildmasterConfig']['www']['plugins']))";
    const views = (env: NodeJS.ProcessEnv) => spawnSync('/usr/bin/python3', ['-c', script], { cwd: dir, encoding: 'utf8', env }).stdout.trim();
    expect(views({ PATH: '/usr/bin:/bin', PYTHONPATH: plugins })).toBe("['grid_view', 'waterfall_view']");
    expect(views({ PATH: '/usr/bin:/bin' })).toBe('[]');
  });

  it('accepts 1000 projects with three schedulers (changes; a force form with Deploy and one without)', async () => {
    const projects = Array.from({ length: 1000 }, (_, i): ProjectConfig => ({
      name: `project-${i}`,
      repo: `https://git.example.com/p/${i}.git`,
      type: PROJECT_TYPES[i % PROJECT_TYPES.length]!,
      deploy: i % 3 === 0 ? {} : false,
    }));
    const dir = dirFor(render(baseConfig(projects)));
    const r = await checkconfig(dir);
    expect(r.output).toMatch(/Config file is good!/);
    const s = summarize(dir);
    expect(s.builders).toHaveLength(1000);
    expect(s.schedulers).toEqual(['on-change', 'force', expect.stringMatching(/^force-[0-9a-f]{8}$/)]);
    expect(s.pollers).toHaveLength(1000);
  });

  it('hostile values reach Buildbot unchanged and run nothing', async () => {
    const hostile = HOSTILE_STRINGS.filter((s) => s !== '' && !/[\u0000-\u001f\u007f]/.test(s));
    const projects = HOSTILE_BRANCHES.map((branch, i): ProjectConfig => ({
      name: `p${i}`,
      repo: hostile[i % hostile.length]!,
      branches: [branch, 'master'],
      deploy: { branches: [branch], app: hostile[(i + 1) % hostile.length]! },
      dockerfile: hostile[(i + 2) % hostile.length]!,
      buildArgs: { X: HOSTILE_STRINGS[(i + 3) % HOSTILE_STRINGS.length]! },
    }));
    const c = baseConfig(projects);
    c.buildbot.title = "t'''\n\u0000$(touch pwned)";
    const dir = dirFor(render(c));
    const r = await checkconfig(dir);
    expect(r.output).toMatch(/Config file is good!/);
    const s = summarize(dir);
    expect(s.title).toBe(c.buildbot.title);
    const resolved = resolveConfig(c).projects;
    // Every hostile value arrived unchanged (fields the generator adds besides these are not hostile input).
    expect(s.projects).toMatchObject(
      resolved.map((p) => ({
        name: p.name,
        repo: p.repo,
        type: p.type,
        branches: p.branches,
        deploy: p.deploy && { branches: p.deploy.branches, app: p.deploy.app, app_id: p.deploy.appId },
        dockerfile: p.dockerfile,
        repository: p.repository,
        build_args: p.buildArgs,
        workers: p.workers,
      })),
    );
    expect(readdirSync(dir).filter((f) => f.includes('pwned'))).toEqual([]);
    expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
  });
});

d('repository identity in the generated file (pollers, webhooks and the scheduler agree)', () => {
  const table: [string, string][] = [
    ['https://github.com/Team/app.git', 'github.com/Team/app'],
    ['https://github.com/Team/app', 'github.com/Team/app'],
    ['https://user@GitHub.com/Team/app.git/', 'github.com/Team/app'],
    ['git@github.com:Team/app.git', 'github.com/Team/app'],
    ['ssh://git@github.com:22/Team/app.git', 'github.com/Team/app'],
    ['http://gitlab.example.com:8080/group/sub/app.git', 'gitlab.example.com/group/sub/app'],
    ['/srv/git/hello.git', '/srv/git/hello'],
    ['', ''],
  ];
  let keys: string[] = [];
  beforeAll(() => {
    // One Python run for the table: the generated file's own _repo_key, as the master runs it.
    const dir = dirFor(render(baseConfig()));
    const script = [
      'import json, sys',
      'ns = {}',
      "exec(compile(open('master.cfg').read(), 'master.cfg', 'exec'), ns)",
      "print(json.dumps([ns['_repo_key'](u) for u in json.loads(sys.argv[1])]))",
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', script, JSON.stringify(table.map(([u]) => u))], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    keys = JSON.parse(r.stdout) as string[];
  });

  it.each(table.map(([url, key], i) => [url, key, i] as const))('%s → %s', (_url, key, i) => {
    expect(keys[i]).toBe(key);
  });
});
