import { describe, expect, it } from 'vitest';
import { environmentStatus, formatProjectStatus } from '../../../src/promote/status.js';
import { parseChallenge, registryBaseUrl } from '../../../src/registry/manifest.js';
import { planDeploy } from '../../../src/deploy/plan.js';
import type { AppInfo } from '../../../src/marathon/types.js';

const V = '2026-12-01T20:00:00.000Z';
const DIGEST = `sha256:${'b'.repeat(64)}`;
const app: AppInfo = {
  id: '/hello',
  version: V,
  versionInfo: { lastConfigChangeAt: V, lastScalingAt: V },
  instances: 2,
  container: { docker: { image: `127.0.0.1:5000/hello@${DIGEST}` } },
  healthChecks: [{ protocol: 'MESOS_HTTP' }],
  labels: { 'bbm.build-number': '7', 'bbm.commit': 'abcdef1234567890', 'bbm.promoted-from': 'staging' },
  tasks: [
    { id: 't2', appId: '/hello', host: 'h2', ports: [31002], state: 'TASK_RUNNING', version: V, healthCheckResults: [{ alive: false }] },
    { id: 't1', appId: '/hello', host: 'h1', ports: [31001], state: 'TASK_RUNNING', version: V, healthCheckResults: [{ alive: true }] },
  ] as AppInfo['tasks'],
};

describe('bbm status --project model', () => {
  const env = { name: 'production', url: 'http://p:8080', appId: '/hello' };
  it('shows build, digest, commit, health, endpoints and since when', () => {
    const s = environmentStatus(env, app, null);
    expect(s).toMatchObject({ exists: true, build: '7', commit: 'abcdef1234567890', digest: DIGEST, promotedFrom: 'staging', healthy: 1, instances: 2, since: V, deploying: false });
    expect(s.endpoints).toEqual([{ host: 'h1', port: 31001, healthy: true }, { host: 'h2', port: 31002, healthy: false }]);
    const text = formatProjectStatus('hello', [s, environmentStatus({ ...env, name: 'staging' }, null, null)]).join('\n');
    expect(text).toContain('healthy 1/2');
    expect(text).toContain('h2:31002 (unhealthy)');
    expect(text).toContain(`digest ${DIGEST}`);
    expect(text).toMatch(/staging {2}\/hello on http:\/\/p:8080\n {4}not deployed/);
  });

  it('a tag image takes the digest the registry gave', () => {
    const tagged = { ...app, container: { docker: { image: '127.0.0.1:5000/hello:hello-7' } } };
    expect(environmentStatus(env, tagged, DIGEST).digest).toBe(DIGEST);
    expect(environmentStatus(env, tagged, null).digest).toBeNull();
  });
});

describe('registry adapter, pure parts', () => {
  it.each([
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost:5000', 'http://localhost:5000'],
    ['registry.example.com', 'https://registry.example.com'],
  ])('%s → %s', (host, url) => expect(registryBaseUrl(host)).toBe(url));

  it('reads a bearer challenge', () => {
    expect(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull' },
    });
    expect(parseChallenge('Basic realm="Registry"')?.scheme).toBe('basic');
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

describe('per-environment app definitions', () => {
  const template = { id: '/hello', instances: 1, cpus: 0.1, container: { docker: { image: '${image}' } }, env: { ENV: '${env}' }, labels: { team: 'a', tier: 'x' } };
  const options = { force: false, strict: false, keepInstances: false, rollback: true, timeoutSeconds: 60 };
  it('fills ${env} and applies the environment’s app id, instances, resources and labels', () => {
    const plan = planDeploy({
      template,
      facts: { image: '127.0.0.1:5000/hello:t', env: 'production' },
      options,
      overrides: { appId: '/prod/hello', instances: 4, mem: 256, labels: { tier: 'prod', HAPROXY_GROUP: 'external' } },
    });
    expect(plan.blocking).toEqual([]);
    expect(plan.appId).toBe('/prod/hello');
    expect(plan.definition).toMatchObject({ id: '/prod/hello', instances: 4, cpus: 0.1, mem: 256, env: { ENV: 'production' } });
    expect(plan.definition.labels).toMatchObject({ team: 'a', tier: 'prod', HAPROXY_GROUP: 'external', 'bbm.environment': 'production' });
  });

  it('${tag} of a digest-pinned promotion is the tag it was built as', () => {
    const plan = planDeploy({ template: { ...template, labels: { v: '${tag}' } }, facts: { image: `127.0.0.1:5000/hello@${DIGEST}`, tag: 'hello-7', env: 'production' }, options });
    expect(plan.blocking).toEqual([]);
    expect(plan.definition.labels?.v).toBe('hello-7');
  });
});
