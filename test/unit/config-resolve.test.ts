import { describe, expect, it } from 'vitest';
import { DEFAULTS, resolveConfig } from '../../src/config/resolve.js';
import { baseConfig, configProblems as problemsOf } from '../support/generate-config.js';

/** A config with one change applied to the valid base. */
function withChange(change: (c: Record<string, any>) => void): unknown {
  const c = structuredClone(baseConfig()) as Record<string, any>;
  change(c);
  return c;
}

describe('resolveConfig defaults', () => {
  it('fills every default in one place', () => {
    const r = resolveConfig(baseConfig([{ name: 'webApp', repo: 'https://github.com/example/webapp.git' }]));
    expect(r.projects[0]).toEqual({
      name: 'webApp',
      repo: 'https://github.com/example/webapp.git',
      credentials: null,
      webhook: null,
      poll: true,
      buildEveryCommit: false,
      status: null,
      type: 'auto',
      branches: ['master'],
      deploy: null,
      dockerfile: 'Dockerfile',
      repository: 'webapp',
      buildArgs: [],
      tags: [],
      workers: ['docker-1'],
    });
    expect(r.buildbot.www).toEqual({ address: '127.0.0.1', port: 8010, htpasswd: null, roles: [], allow: { force: ['admins'], stop: ['admins'], rebuild: ['admins'], control: ['admins'] } });
    expect(r.buildbot.workers[0]).toEqual({ name: 'docker-1', maxBuilds: 1, types: ['python', 'maven', 'gradle', 'node', 'go', 'docker', 'auto'], passwordSecret: 'worker-docker-1', kind: 'buildbot-worker' });
    expect(r.buildbot.msgpackPort).toBe(9990);
    expect(r.changeSources).toEqual({ pollInterval: DEFAULTS.pollInterval, github: null, gitlab: null, pollerHook: false });
    expect(r.registry).toEqual({ host: 'registry.example.com', userSecret: null, passwordSecret: null });
    expect(r.marathon.deployStep).toBe(true);
    expect(r.buildbot.db).toEqual({ url: 'sqlite:///state.sqlite' });
    expect(r.buildbot.secretsDir).toBe('secrets');
  });

  it('keeps the builder tags the config names, in order', () => {
    const r = resolveConfig(baseConfig([{ name: 'webApp', repo: 'r', tags: ['team:web', 'python', 'v1.2+x'] }]));
    expect(r.projects[0]!.tags).toEqual(['team:web', 'python', 'v1.2+x']);
  });

  it('deploys the first built branch to a lowercased app id by default', () => {
    const r = resolveConfig(baseConfig([{ name: 'webApp', repo: 'r', branches: ['main', 'dev'], deploy: {} }]));
    expect(r.projects[0]!.deploy).toEqual({
      branches: ['main'],
      app: 'marathon.json',
      appId: '/webapp',
      // today's single `marathon` is one implicit environment
      environments: [{ name: 'default', appId: '/webapp', branches: ['main'], promoteFrom: null, promoteRoles: ['admins'], values: { instances: null, cpus: null, mem: null, disk: null, labels: [] } }],
    });
    expect(r.environments).toEqual([{ name: 'default', url: 'http://marathon.example.com:8080', tokenSecret: null, userSecret: null, passwordSecret: null, haproxyGroup: null, appIdPrefix: '', implicit: true }]);
  });

  it('accepts the issue example unchanged', () => {
    const r = resolveConfig({
      registry: 'registry.example.com',
      marathon: { url: 'http://marathon.example.com:8080' },
      buildbot: { url: 'http://localhost:8010/', workers: [{ name: 'docker-1' }] },
      projects: [
        { name: 'webApp', repo: 'https://github.com/example/webapp.git', type: 'python', branches: ['master', 'develop'], deploy: { branches: ['master'], app: 'marathon.json' } },
      ],
    });
    expect(r.projects[0]!.deploy?.appId).toBe('/webapp');
  });
});

// [what, change, expected problem path, message fragment]
const invalid: [string, (c: Record<string, any>) => void, string, RegExp][] = [
  ['duplicate project names', (c) => c.projects.push({ name: 'WEBAPP', repo: 'x', repository: 'other' }), 'projects[1].name', /duplicate project name .*"webapp", also at projects\[0\]\.name/],
  ['invalid project name with a fix', (c) => (c.projects[0].name = 'web app!'), 'projects[0].name', /use "web-app-"/],
  ['invalid Docker repository with a fix', (c) => (c.projects[0].repository = 'Team/Web__App-'), 'projects[0].repository', /use "team\/web-app"/],
  ['invalid Marathon app id with a fix', (c) => (c.projects[0].deploy = { appId: '/Web_App' }), 'projects[0].deploy.appId', /use "\/web-app"/],
  ['default app id that Marathon refuses', (c) => Object.assign(c.projects[0], { name: 'web_app', deploy: {} }), 'projects[0].deploy.appId', /set appId: "\/web-app"/],
  ['unknown project type', (c) => (c.projects[0].type = 'rust'), 'projects[0].type', /unknown project type "rust"; use one of python, maven, gradle, node, go, docker, auto/],
  ['deploy branch that is not built', (c) => (c.projects[0].deploy = { branches: ['release'] }), 'projects[0].deploy.branches', /deploy branch "release" is not built/],
  ['worker that can build no type', (c) => (c.buildbot.workers[0].types = []), 'buildbot.workers[0].types', /can build no project type/],
  ['project no worker can build', (c) => (c.buildbot.workers[0].types = ['go']), 'projects[0].type', /no worker can build type "python"/],
  ['unknown key', (c) => (c.projects[0].brnaches = ['x']), 'projects[0].brnaches', /unknown key/],
  ['branch git refuses', (c) => (c.projects[0].branches = ['a b']), 'projects[0].branches[0]', /git refuses/],
  ['registry with a scheme', (c) => (c.registry = 'https://registry.example.com'), 'registry', /host\[:port\]/],
  ['Marathon URL that is not http', (c) => (c.marathon.url = 'ftp://x'), 'marathon.url', /http:\/\/ or https:\/\//],
  ['credentials in a URL', (c) => (c.marathon.url = 'http://u:p@x:8080'), 'marathon.url', /name a secret instead/],
  ['Buildbot URL without trailing slash', (c) => (c.buildbot.url = 'http://localhost:8010'), 'buildbot.url', /trailing slash/],
  ['secret name with a slash', (c) => (c.marathon.tokenSecret = '../etc/passwd'), 'marathon.tokenSecret', /file name in the secrets directory/],
  ['half of a login', (c) => (c.registry = { host: 'r.example.com', userSecret: 'u' }), 'registry', /both userSecret and passwordSecret/],
  ['token and basic auth at once', (c) => Object.assign(c.marathon, { tokenSecret: 't', userSecret: 'u', passwordSecret: 'p' }), 'marathon', /not both/],
  ['allowed role that is not defined', (c) => (c.buildbot.www = { roles: { admins: ['a'] }, allow: { force: ['devs'] } }), 'buildbot.www.allow.force', /role "devs" is not defined/],
  ['web port out of range', (c) => (c.buildbot.www = { port: 70000 }), 'buildbot.www.port', /from 1 to 65535/],
  ['address that is not a host', (c) => (c.buildbot.www = { address: '0.0.0.0;rm' }), 'buildbot.www.address', /IPv4 address or host name/],
  ['unknown worker kind', (c) => (c.buildbot.workers[0].kind = 'jenkins'), 'buildbot.workers[0].kind', /unknown worker kind "jenkins"; use 'buildbot-worker' or 'bbm'/],
  ['msgpack port that is the PB port', (c) => Object.assign(c.buildbot, { msgpackPort: 9989, workers: [{ name: 'docker-1', kind: 'bbm' }] }), 'buildbot.msgpackPort', /PB port is already 9989/],
  ['msgpack port that is the web port', (c) => Object.assign(c.buildbot, { msgpackPort: 8010, workers: [{ name: 'docker-1', kind: 'bbm' }] }), 'buildbot.msgpackPort', /web UI already uses port 8010/],
  ['duplicate worker names', (c) => c.buildbot.workers.push({ name: 'docker-1' }), 'buildbot.workers[1].name', /duplicate worker name/],
  ['two projects pushing one image', (c) => c.projects.push({ name: 'other', repo: 'y', repository: 'webapp' }), 'projects[1].repository', /duplicate registry repository/],
  ['build arg name', (c) => (c.projects[0].buildArgs = { 'A-B': 'x' }), 'projects[0].buildArgs.A-B', /build argument name/],
  ['a builder tag with a space', (c) => (c.projects[0].tags = ['team a']), 'projects[0].tags[0]', /tag "team a" must be 1 to 50 letters, digits and/],
  ['a builder tag listed twice', (c) => (c.projects[0].tags = ['web', 'web']), 'projects[0].tags[1]', /duplicate tag "web", also at projects\[0\]\.tags\[0\]/],
  ['builder tags that are not a list', (c) => (c.projects[0].tags = 'web'), 'projects[0].tags', /must be a list/],
  ['no projects', (c) => (c.projects = []), 'projects', /must not be empty/],
  ['missing marathon', (c) => delete c.marathon, 'marathon', /is required/],
  ['a database URL with a password', (c) => (c.buildbot.db = 'postgresql://bb:hunter2@db/bb'), 'buildbot.db', /holds a password.*urlSecret/],
  ['a database secret with a bad name', (c) => (c.buildbot.db = { urlSecret: 'a/b' }), 'buildbot.db.urlSecret', /file name in the secrets directory/],
  ['a Buildbot version that is not one', (c) => (c.buildbot.version = 'latest'), 'buildbot.version', /not a Buildbot version; write major.minor/],
  ['a Buildbot version too old', (c) => (c.buildbot.version = '2.10'), 'buildbot.version', /older than the oldest supported, 3.7/],
  ['a Buildbot version too new', (c) => (c.buildbot.version = '5.0'), 'buildbot.version', /newer than the 4.x series/],
  ['unknown force scheduler layout', (c) => (c.buildbot.forceSchedulers = 'each'), 'buildbot.forceSchedulers', /'shared' or 'perProject'/],
  ['control character in a repo URL', (c) => (c.projects[0].repo = 'x\ny'), 'projects[0].repo', /control characters/],
  ['a token in a repo URL', (c) => (c.projects[0].repo = 'https://bot:T0KEN/x@github.com/o/a.git'), 'projects[0].repo', /project "webApp" carries credentials \(https:\/\/\*\*\*@github.com\/o\/a.git\).*userSecret: 'git-user', tokenSecret: 'git-token'/],
  ['a token as the user of a repo URL', (c) => (c.projects[0].repo = 'https://T0KEN@github.com/o/a.git'), 'projects[0].repo', /carries credentials/],
  ['a password in an scp-like repo URL', (c) => (c.projects[0].repo = 'git:T0KEN@github.com:o/a.git'), 'projects[0].repo', /sshKeySecret/],
  ['a database password with a slash', (c) => (c.buildbot.db = 'postgresql://bb:T0KEN/x@db/bb'), 'buildbot.db', /holds a password/],
  ['a database password as a query', (c) => (c.buildbot.db = 'postgresql://bb@db/bb?sslmode=disable&password=T0KEN'), 'buildbot.db', /holds a password/],
  ['a malformed URL with credentials', (c) => (c.marathon.url = 'http://u:T0KEN@ho st:x/'), 'marathon.url', /"http:\/\/\*\*\*@ho st:x\/" is not a URL/],
  ['a database URL with a password and a newline', (c) => (c.buildbot.db = 'postgresql://bb:T0KEN@db/bb\n'), 'buildbot.db', /control characters/],
  ['an SSH key for an https repo', (c) => (c.projects[0].credentials = { sshKeySecret: 'k' }), 'projects[0].credentials.sshKeySecret', /needs an ssh repository URL/],
  ['half of a repo login', (c) => (c.projects[0].credentials = { userSecret: 'u' }), 'projects[0].credentials', /userSecret and tokenSecret together/],
  ['statuses to a forge that is not configured', (c) => (c.projects[0].status = 'gitlab'), 'projects[0].status', /status.gitlab: \{ tokenSecret/],
  ['a webhook that is not enabled', (c) => (c.projects[0].webhook = 'github'), 'projects[0].webhook', /changeSources.github/],
];

describe('no message echoes a secret', () => {
  it.each(invalid)('%s', (_, change) => {
    expect(JSON.stringify(problemsOf(withChange(change)))).not.toContain('T0KEN');
  });
});

describe('resolveConfig problems', () => {
  it.each(invalid)('reports %s', (_, change, path, message) => {
    const problems = problemsOf(withChange(change));
    const hit = problems.find((p) => p.path === path);
    expect(hit, JSON.stringify(problems)).toBeDefined();
    expect(hit!.message).toMatch(message);
  });

  it('collects every problem at once', () => {
    const problems = problemsOf(
      withChange((c) => {
        c.registry = 'bad registry';
        c.projects[0].type = 'rust';
        c.projects.push({ name: 'webApp', repo: '' });
        c.buildbot.workers[0].types = [];
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['registry', 'projects[0].type', 'projects[1].repo', 'buildbot.workers[0].types']),
    );
    expect(problems.length).toBeGreaterThanOrEqual(4);
  });

  it('refuses something that is not an object', () => {
    expect(problemsOf(42)[0]!.message).toMatch(/must be an object/);
    expect(problemsOf(null)[0]!.message).toMatch(/must be an object/);
  });
});
