import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { deployTargets } from '../../src/config/targets.js';
import type { ProjectConfig } from '../../src/config/types.js';
import { baseConfig, configProblems as problems } from '../support/generate-config.js';

/** The valid base with environments instead of its single Marathon, roles, and one project `hello` deploying as `deploy` says. */
function config(envs: unknown, deploy: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { marathon: _single, ...base } = baseConfig([{ name: 'hello', repo: 'r', type: 'docker', branches: ['main', 'dev'], deploy } as ProjectConfig]);
  return { ...base, registry: '127.0.0.1:5000', environments: envs, buildbot: { ...base.buildbot, www: { roles: { admins: ['ann'], ops: ['olga'] } } }, ...extra };
}
const ENVS = {
  staging: { url: 'http://127.0.0.1:8081', userSecret: 'st-user', passwordSecret: 'st-pass', appIdPrefix: '/staging' },
  production: { url: 'http://127.0.0.1:8082', tokenSecret: 'prod-token', haproxyGroup: 'external' },
};
const PIPELINE = { environments: { staging: { branches: ['main'], instances: 1 }, production: { promoteFrom: 'staging', instances: 4, mem: 256, labels: { tier: 'prod' } } } };

describe('environments', () => {
  it('resolves named targets and each project’s branches and promotions', () => {
    const r = resolveConfig(config(ENVS, PIPELINE));
    expect(r.environments.map((e) => [e.name, e.url, e.appIdPrefix, e.haproxyGroup, e.implicit])).toEqual([
      ['staging', 'http://127.0.0.1:8081', '/staging', null, false],
      ['production', 'http://127.0.0.1:8082', '', 'external', false],
    ]);
    const d = r.projects[0]!.deploy!;
    expect(d.branches).toEqual(['main']);
    expect(d.environments).toEqual([
      { name: 'staging', appId: '/staging/hello', branches: ['main'], promoteFrom: null, promoteRoles: ['admins'], values: { instances: 1, cpus: null, mem: null, disk: null, labels: [] } },
      { name: 'production', appId: '/hello', branches: [], promoteFrom: 'staging', promoteRoles: ['admins'], values: { instances: 4, cpus: null, mem: 256, disk: null, labels: [['tier', 'prod']] } },
    ]);
  });

  it('the deploy targets document names secrets and credential variables, never values', () => {
    const t = deployTargets(resolveConfig(config(ENVS, PIPELINE)));
    expect(t.environments.staging).toEqual({ url: 'http://127.0.0.1:8081', tokenSecret: null, userSecret: 'st-user', passwordSecret: 'st-pass', haproxyGroup: null, appIdPrefix: '/staging', credentialsEnv: 'STAGING_MARATHON' });
    expect(t.projects.hello!.image).toBe('127.0.0.1:5000/hello');
    // the environment's HAProxy group becomes the app's HAPROXY_GROUP label there
    expect(t.projects.hello!.environments.production!.labels).toEqual({ tier: 'prod', HAPROXY_GROUP: 'external' });
  });

  it('today’s single marathon + deploy keeps working as one implicit environment', () => {
    const r = resolveConfig({ ...config(undefined, { branches: ['main'] }), environments: undefined, marathon: { url: 'http://m:8080', tokenSecret: 't' } });
    expect(r.environments).toEqual([{ name: 'default', url: 'http://m:8080', tokenSecret: 't', userSecret: null, passwordSecret: null, haproxyGroup: null, appIdPrefix: '', implicit: true }]);
    expect(r.projects[0]!.deploy!.environments.map((e) => [e.name, e.appId, e.branches])).toEqual([['default', '/hello', ['main']]]);
    expect(deployTargets(r).environments.default!.credentialsEnv).toBe('MARATHON');
  });

  it('a project may be named like the promote builder of a project that does not promote', () => {
    const r = resolveConfig(config(ENVS, PIPELINE, { projects: [{ name: 'hello', repo: 'r', type: 'docker', branches: ['main'], deploy: PIPELINE }, { name: 'web', repo: 'r2', type: 'docker' }, { name: 'web-promote', repo: 'r3', type: 'docker' }] }));
    expect(r.projects.map((p) => p.name)).toEqual(['hello', 'web', 'web-promote']);
  });

  it.each<[string, unknown, unknown, Record<string, unknown>, string, RegExp]>([
    ['unknown environment', ENVS, { environments: { staging: { branches: ['main'] }, prod: { promoteFrom: 'staging' } } }, {}, 'projects[0].deploy.environments.prod', /unknown environment "prod".*defined: staging, production/],
    ['promotion from an environment the project lacks', ENVS, { environments: { production: { promoteFrom: 'staging' } } }, {}, 'projects[0].deploy.environments.production.promoteFrom', /"staging" is not an environment of this project/],
    ['promotion cycle', { ...ENVS, qa: { url: 'http://q:1' } }, { environments: { staging: { branches: ['main'] }, qa: { promoteFrom: 'production' }, production: { promoteFrom: 'qa' } } }, {}, 'projects[0].deploy.environments.qa.promoteFrom', /promotion cycle qa ← production ← qa/],
    ['environment nothing reaches', ENVS, { environments: { staging: { branches: ['main'] }, production: {} } }, {}, 'projects[0].deploy.environments.production', /nothing reaches this environment/],
    ['branches and promotion at once', ENVS, { environments: { staging: { branches: ['main'] }, production: { branches: ['dev'], promoteFrom: 'staging' } } }, {}, 'projects[0].deploy.environments.production', /fed by deploy branches or reached only by promotion/],
    ['several environments, no mapping', ENVS, { branches: ['main'] }, {}, 'projects[0].deploy.environments', /say which environment each deploy branch feeds/],
    ['deploy branch not built', ENVS, { environments: { staging: { branches: ['release'] }, production: { promoteFrom: 'staging' } } }, {}, 'projects[0].deploy.branches', /deploy branch "release" is not built/],
    ['environment no project uses', { ...ENVS, dr: { url: 'http://dr:1' } }, PIPELINE, {}, 'environments.dr', /no project deploys to "dr"/],
    ['marathon beside environments', ENVS, PIPELINE, { marathon: { url: 'http://m:1' } }, 'marathon.url', /move url to environments.<name>.url/],
    ['unknown role', ENVS, { environments: { staging: { branches: ['main'] }, production: { promoteFrom: 'staging', promoteRoles: ['sre'] } } }, {}, 'projects[0].deploy.environments.production.promoteRoles', /role "sre" is not defined/],
    ['bad app-id prefix', { ...ENVS, staging: { url: 'http://s:1', appIdPrefix: 'Staging' } }, PIPELINE, {}, 'environments.staging.appIdPrefix', /not a Marathon group path.*"\/staging"/],
    ['bbm.* label', ENVS, { environments: { staging: { branches: ['main'], labels: { 'bbm.image': 'x' } }, production: { promoteFrom: 'staging' } } }, {}, 'projects[0].deploy.environments.staging.labels.bbm.image', /written by bbm/],
    ['negative instances', ENVS, { environments: { staging: { branches: ['main'], instances: -1 }, production: { promoteFrom: 'staging' } } }, {}, 'projects[0].deploy.environments.staging.instances', /whole number from 0/],
    ['two environments, one app', { staging: { url: 'http://same:1' }, production: { url: 'http://same:1/' } }, PIPELINE, {}, 'projects[0].deploy.environments.production', /deploys \/hello on http:\/\/same:1\/, as projects\[0\].deploy.environments.staging does/],
    ['different roles per promotion target', { ...ENVS, dr: { url: 'http://dr:1' } }, { environments: { staging: { branches: ['main'] }, production: { promoteFrom: 'staging' }, dr: { promoteFrom: 'production', promoteRoles: ['ops'] } } }, {}, 'projects[0].deploy.environments.dr.promoteRoles', /same promoteRoles/],
    ['a project named like a promote builder', ENVS, PIPELINE, { projects: [{ name: 'hello', repo: 'r', type: 'docker', branches: ['main'], deploy: PIPELINE }, { name: 'Hello-Promote', repo: 'r2', type: 'docker', branches: ['main'] }] }, 'projects[1].name', /"Hello-Promote" is also the name of the promote builder of project "hello".*rename this project/],
  ])('%s is a config error at its path', (_name, envs, deploy, extra, path, message) => {
    const found = problems(config(envs, deploy, extra));
    expect(found).toContainEqual({ path, message: expect.stringMatching(message) });
  });
});
