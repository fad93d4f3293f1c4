import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { PROJECT_TYPES, type CiConfig } from '../../src/config/types.js';
import { renderConfig } from '../../src/generate.js';
import { HOSTILE_BRANCHES, HOSTILE_STRINGS, baseConfig } from '../support/generate-config.js';

const render = (c: CiConfig) => renderConfig(resolveConfig(c), 'ci.config.ts');

/** The file's syntax tree with every string constant blanked: what the file *does*, whatever its values. */
function shape(source: string): string {
  const script = [
    'import ast, sys',
    'tree = ast.parse(sys.stdin.read())',
    'for node in ast.walk(tree):',
    '    if isinstance(node, ast.Constant) and isinstance(node.value, str):',
    "        node.value = ''",
    'print(ast.dump(tree))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: source, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python could not parse the output: ${r.stderr}`);
  return r.stdout;
}

function configWith(text: (i: number) => string, branch: (i: number) => string): CiConfig {
  const c = baseConfig([
    {
      name: 'webApp',
      repo: text(0),
      type: 'auto',
      branches: [branch(0), branch(1)],
      deploy: { branches: [branch(1)], app: text(1) },
      dockerfile: text(2),
      buildArgs: { A: text(3), B: text(4) },
    },
  ]);
  c.buildbot.title = text(5);
  c.buildbot.www = { auth: { htpasswd: text(6) }, roles: { admins: [text(7)] } };
  c.buildbot.secretsDir = text(8);
  c.buildbot.bbm = [text(9), text(10)];
  return c;
}

describe('master.cfg rendering', () => {
  it.each(PROJECT_TYPES.map((t) => [t]))('renders the %s recipe (snapshot)', async (type) => {
    const c = baseConfig([{ name: `${type}-app`, repo: `https://git.example.com/team/${type}-app.git`, type, deploy: {} }]);
    await expect(render(c)).toMatchFileSnapshot(`__snapshots__/master-${type}.cfg`);
  });

  it.each(['3.7', '4.3'])('renders for Buildbot %s (snapshot: the versions differ only in their constants)', async (version) => {
    const c = baseConfig([{ name: 'app', repo: 'https://git.example.com/team/app.git', type: 'node', deploy: {} }], version);
    await expect(render(c)).toMatchFileSnapshot(`__snapshots__/master-buildbot-${version}.cfg`);
  });

  it('sets what each Buildbot version needs', () => {
    const constants = (version: string) =>
      render(baseConfig(undefined, version))
        .split('\n')
        .filter((l) => /^(BUILDBOT_TARGET|BUILDBOT_RANGE|GIT_FETCH_TAGS|HIDE_FORCE_PRIORITY|BUILDBOT_PROJECTS) = /.test(l));
    expect(constants('3.7')).toEqual(["BUILDBOT_TARGET = '3.7'", 'BUILDBOT_RANGE = [(3, 7), (3, 9)]', 'GIT_FETCH_TAGS = False', 'HIDE_FORCE_PRIORITY = False', 'BUILDBOT_PROJECTS = False']);
    expect(constants('4.0')).toEqual(["BUILDBOT_TARGET = '4.0'", 'BUILDBOT_RANGE = [(3, 9), (4, 1)]', 'GIT_FETCH_TAGS = False', 'HIDE_FORCE_PRIORITY = True', 'BUILDBOT_PROJECTS = True']);
    expect(constants('4.3')).toEqual(["BUILDBOT_TARGET = '4.3'", 'BUILDBOT_RANGE = [(4, 1), None]', 'GIT_FETCH_TAGS = True', 'HIDE_FORCE_PRIORITY = True', 'BUILDBOT_PROJECTS = True']);
    const c = baseConfig();
    delete c.buildbot.version;
    expect(render(c)).toContain("BUILDBOT_TARGET = '4.3'"); // the default: current Buildbot
  });

  it('starts with the do-not-edit header and is deterministic', () => {
    const c = baseConfig();
    const a = render(c);
    expect(a.split('\n')[1]).toBe('# generated from ci.config.ts by `bbm generate` — do not edit.');
    expect(render(structuredClone(c))).toBe(a);
  });

  it('names secrets and never holds their values', () => {
    const c = baseConfig();
    c.registry = { host: 'r.example.com', userSecret: 'reg-user', passwordSecret: 'reg-pass' };
    c.marathon!.tokenSecret = 'marathon-token';
    c.changeSources = { github: { secret: 'gh-hook' }, gitlab: { secret: 'gl-hook' } };
    const out = render(c);
    for (const name of ['reg-user', 'reg-pass', 'gh-hook', 'gl-hook', 'worker-docker-1'])
      expect(out).toContain(`util.Secret('${name}')`.replace("util.Secret('worker-docker-1')", "'password_secret': 'worker-docker-1'"));
    expect(out).toContain("'BBM_REGISTRY_PASSWORD': util.Secret('reg-pass')");
    // Marathon secrets are named in DEPLOY_TARGETS and become util.Secret in the step environment
    expect(out).toContain("'tokenSecret': 'marathon-token'");
    expect(out).toContain("out[prefix + 'TOKEN'] = util.Secret(e['tokenSecret'])");
  });

  it.each([
    ['only buildbot-worker workers: PB only', [{ name: 'w1' }], "c['protocols'] = {'pb': {'port': 'tcp:9989:interface=127.0.0.1'}}"],
    ['a bbm worker: PB and msgpack (a bare port)', [{ name: 'w1' }, { name: 'w2', kind: 'bbm' as const }], "c['protocols'] = {'pb': {'port': 'tcp:9989:interface=127.0.0.1'}, 'msgpack_experimental_v7': {'port': 9990}}"],
  ])('offers the worker protocols: %s', (_what, workers, line) => {
    const c = baseConfig([{ name: 'a', repo: 'r', type: 'node' }]);
    c.buildbot.workers = workers;
    expect(render(c).split('\n')).toContain(line);
  });

  it('leaves the deploy step out when marathon.deployStep is false', () => {
    const c = baseConfig([{ name: 'a', repo: 'r', type: 'node', deploy: {} }]);
    expect(render(c)).toContain('DEPLOY_STEP = True');
    c.marathon!.deployStep = false;
    expect(render(c)).toContain('DEPLOY_STEP = False');
  });

  it('lists the roles allowed to force, stop and rebuild; every other control action is admin-only (last rule)', () => {
    const c = baseConfig();
    c.buildbot.www = { auth: { htpasswd: 'users' }, roles: { admins: ['ann'], ops: ['olga'] }, allow: { force: ['admins', 'ops'], stop: ['*'], rebuild: [] } };
    const out = render(c);
    expect(out).toContain("util.ForceBuildEndpointMatcher(role='admins', defaultDeny=False)");
    expect(out).toContain("util.ForceBuildEndpointMatcher(role='ops', defaultDeny=True)");
    expect(out).toContain("util.StopBuildEndpointMatcher(role='*anyone*', defaultDeny=True)");
    expect(out).toContain('_Anyone()');
    const rules = out.slice(out.indexOf('allowRules=['), out.indexOf('roleMatchers='));
    expect(rules.trim().split('\n').filter((l) => l.includes('Matcher(')).at(-1)).toContain("util.AnyControlEndpointMatcher(role='admins', defaultDeny=True)");
    expect(out).toContain("util.RebuildBuildEndpointMatcher(role='-nobody-', defaultDeny=True)");
    expect(out).toContain("util.RolesFromUsername(roles=['ops'], usernames=['olga'])");
    expect(out).toContain("'auth': util.HTPasswdAuth('users')");
  });

  it('hostile values cannot change what the file does', () => {
    const benign = render(configWith((i) => `value${i}`, (i) => `branch${i}`));
    for (let round = 0; round < HOSTILE_STRINGS.length; round += 11) {
      const hostile = render(
        configWith(
          (i) => {
            const s = HOSTILE_STRINGS[(round + i) % HOSTILE_STRINGS.length]!;
            return s === '' || /[\u0000-\u001f\u007f]/.test(s) ? `${s.replace(/[\u0000-\u001f\u007f]/g, '')}x` : s;
          },
          (i) => HOSTILE_BRANCHES[(round + i) % HOSTILE_BRANCHES.length]!,
        ),
      );
      expect(shape(hostile)).toBe(shape(benign));
    }
  });

  it('hostile titles with control characters stay inside their literal', () => {
    const c = baseConfig();
    c.buildbot.title = "t'''\n\u0000\"\"\"\\";
    expect(shape(render(c))).toBe(shape(render(baseConfig())));
  });
});
