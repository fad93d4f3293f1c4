import { describe, expect, it } from 'vitest';
import { finitePatternSize, hostLimit, lintApp } from '../../../src/deploy/lint.js';
import { fillTemplate } from '../../../src/deploy/template.js';
import { parseJsonSource } from '../../../src/deploy/json-source.js';
import type { AppDefinition } from '../../../src/marathon/types.js';
import { sharedJson, sharedText } from '../../support/shared.js';
import { appDefinitionErrors } from '../../support/schema.js';
import { components, describeWith } from '../../support/integration.js';

/** The seed's example app, cut out of the original document in the reference data. */
function seedApp(): string {
  const doc = sharedText('seed', 'CI-EXAMPLE.md');
  const start = doc.indexOf('{\n    "constraints"');
  const end = doc.indexOf('> curl -X PUT');
  return doc.slice(start, end).trim();
}

const codes = (def: AppDefinition) => lintApp(def).map((f) => f.code).sort();

/** Suites that check against Marathon's reference data (schema, recorded bodies): skipped with a message without it, failing in CI. */
const withReference = await describeWith([components.reference]);

withReference('lint of the seed example app (reference data)', () => {
  it('the seed as published has a trailing comma, reported with its line and the fix', () => {
    expect(() => parseJsonSource(seedApp(), 'marathon.json')).toThrow(/marathon\.json:22:\d+: not valid JSON/);
    try {
      parseJsonSource(seedApp(), 'marathon.json');
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/trailing comma/);
    }
  });

  it('with the comma removed and $project_tag filled, lint finds exactly the problems the seed review lists (docs/deploy.md, Lint)', () => {
    const text = seedApp().replace('"type": "DOCKER",\n    }', '"type": "DOCKER"\n    }');
    const source = parseJsonSource(text, 'marathon.json');
    const filled = fillTemplate(source.value, { image: 'registry.example.com/webapp:webApp-123-master-0.5.20-12-gf5615cf' });
    expect(filled.problems).toEqual([]);
    const def = filled.value as AppDefinition;
    expect(def.container?.docker?.image).toBe('registry.example.com/webapp:webApp-123-master-0.5.20-12-gf5615cf');
    const findings = lintApp(def);
    // review item → codes
    const expected: Record<string, string[]> = {
      '1 id webApp': ['id-invalid'],
      '2 docker.network + docker.portMappings': ['deprecated-docker-network', 'deprecated-docker-port-mappings'],
      '3 ports (deprecated, dropped in BRIDGE)': ['deprecated-ports', 'ports-with-bridge'],
      '4 uris / .dockercfg': ['deprecated-uris'],
      '5 TCP check: path ignored, Marathon-level, grace 5': ['health-check-path-ignored', 'marathon-level-health-check', 'short-grace-period'],
      '6 constraints: unescaped dot, restart hangs': ['constraint-unescaped-dot', 'constraints-block-rolling-restart'],
      '7 args one element': ['args-single-element'],
      '9 servicePort 20000': ['fixed-service-port'],
      // beyond the review: a service port without taskKillGracePeriodSeconds (mesos/TaskBuilder.scala)
      'servicePort without a kill grace period': ['no-task-kill-grace-period'],
    };
    expect(findings.map((f) => f.code).sort()).toEqual(Object.values(expected).flat().sort());
    // item 8 ($project_tag) is gone once filled: no finding mentions "$"
    expect(findings.some((f) => f.message.includes('$'))).toBe(false);
    const by = (code: string) => findings.find((f) => f.code === code)!;
    expect(by('id-invalid')).toMatchObject({ severity: 'error', path: '/id' });
    expect(by('id-invalid').hint).toContain('"/webapp"');
    expect(by('health-check-path-ignored').path).toBe('/healthChecks(0)/path');
    expect(by('constraints-block-rolling-restart').message).toMatch(/at most 3 hosts with instances 3/);
    expect(by('constraint-unescaped-dot').hint).toContain('compute-slave-[4-6]\\\\.example\\\\.com');
    expect(by('fixed-service-port').severity).toBe('info');
    expect(findings.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual(['id-invalid']);
    // lines point into the file
    expect(source.where('/id')).toBe(`marathon.json:${text.split('\n').findIndex((l) => l.includes('"id": "webApp"')) + 1}`);
    expect(source.where('/healthChecks(0)/path')).toBe(`marathon.json:${text.split('\n').findIndex((l) => l.includes('"path": "/"')) + 1}`);
    // the schema agrees there is exactly one error in it: the id
    expect(appDefinitionErrors(def)).toEqual([expect.stringMatching(/^\/id must match pattern/)]);
  });

  it('the corrected 1.5+ form lints clean except the fixed service port and the leader-free checks', () => {
    const fixed: AppDefinition = {
      id: '/webapp',
      instances: 3,
      cpus: 0.5,
      mem: 512,
      args: ['example', '--argument', '1'],
      constraints: [['hostname', 'LIKE', 'compute-slave-[4-6]\\.example\\.com'], ['hostname', 'UNIQUE']],
      networks: [{ mode: 'container/bridge' }],
      container: { type: 'DOCKER', docker: { image: 'registry.example.com/webapp:1' }, portMappings: [{ containerPort: 31017, hostPort: 0, servicePort: 20000, protocol: 'tcp' }] },
      healthChecks: [{ protocol: 'MESOS_TCP', portIndex: 0, gracePeriodSeconds: 60, intervalSeconds: 20, maxConsecutiveFailures: 3 }],
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
      fetch: [{ uri: 'file:///etc/docker.tar.gz' }],
      taskKillGracePeriodSeconds: 10,
    };
    expect(codes(fixed)).toEqual(['fixed-service-port']);
    expect(appDefinitionErrors(fixed)).toEqual([]);
  });

  it('the docs’ bridged-webapp examples: both forms, only what applies', () => {
    expect(codes(sharedJson('marathon', 'examples', 'app-definition.docker-bridge.json'))).toEqual(['fixed-service-port', 'marathon-level-health-check', 'no-task-kill-grace-period', 'short-grace-period']);
    expect(codes(sharedJson('marathon', 'examples', 'app-definition.docker-bridge.legacy-1.4.json'))).toEqual([
      'deprecated-docker-network',
      'deprecated-docker-port-mappings',
      'fixed-service-port',
      'marathon-level-health-check',
      'no-task-kill-grace-period',
      'short-grace-period',
    ]);
  });
});

describe('constraints against instances', () => {
  const app = (instances: number, constraints: string[][], upgradeStrategy?: AppDefinition['upgradeStrategy']): AppDefinition => ({
    id: '/a',
    cmd: 'x',
    instances,
    constraints,
    ...(upgradeStrategy ? { upgradeStrategy } : {}),
  });
  const unique = ['hostname', 'UNIQUE'];
  const like3 = ['hostname', 'LIKE', 'h[1-3]\\.example\\.com'];
  it.each<[string, AppDefinition, string[]]>([
    ['3 on 3 hosts, default strategy: hangs', app(3, [like3, unique]), ['constraints-block-rolling-restart']],
    ['3 on 3 hosts, 0.5/0: fine', app(3, [like3, unique], { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }), []],
    ['3 on 3 hosts, 0.67/0: ceil(2.01)=3 hangs', app(3, [like3, unique], { minimumHealthCapacity: 0.67, maximumOverCapacity: 0 }), ['constraints-block-rolling-restart']],
    ['2 on 3 hosts, default: fine (one spare host)', app(2, [like3, unique]), []],
    ['4 on 3 hosts: can never place them', app(4, [like3, unique]), ['constraints-exceed-hosts']],
    ['UNIQUE without a host limit: unknown, silent', app(3, [unique]), []],
    ['LIKE without UNIQUE: no one-per-host rule', app(3, [like3]), []],
    ['1 on IS one host, default: hangs', app(1, [['hostname', 'IS', 'h1'], unique]), ['constraints-block-rolling-restart']],
    ['1 on one host, 0/0: fine', app(1, [['hostname', 'CLUSTER', 'h1'], unique], { minimumHealthCapacity: 0, maximumOverCapacity: 0 }), []],
    ['MAX_PER 1 is UNIQUE', app(3, [like3, ['hostname', 'MAX_PER', '1']]), ['constraints-block-rolling-restart']],
    ['alternation of 3', app(3, [['hostname', 'LIKE', 'a|b|c'], unique]), ['constraints-block-rolling-restart']],
  ])('%s', (_name, def, expected) => {
    expect(lintApp(def).map((f) => f.code).filter((c) => c.startsWith('constraints-'))).toEqual(expected);
  });

  it.each<[string, number | undefined]>([
    ['compute-slave-[4-6].example.com', 3],
    ['h[1-3]\\.x', 3],
    ['h[0-9][0-9]', 100],
    ['a|b', 2],
    ['h.*', undefined],
    ['h[^1]', undefined],
    ['h(1|2)', undefined],
    ['single', 1],
  ])('%s names %s hosts', (pattern, n) => expect(finitePatternSize(pattern)).toBe(n));

  it('the tightest hostname constraint wins', () => {
    expect(hostLimit([['hostname', 'LIKE', 'h[1-5]'], ['hostname', 'LIKE', 'h[1-2]'], ['rack', 'LIKE', 'r1']])).toBe(2);
  });
});

describe('other lint rules', () => {
  it.each<[string, AppDefinition, string]>([
    ['cmd and args', { id: '/a', cmd: 'x', args: ['y'] }, 'cmd-and-args'],
    ['docker.network and networks', { id: '/a', networks: [{ mode: 'host' }], container: { docker: { image: 'x', network: 'HOST' } } }, 'network-conflict'],
    ['portDefinitions with bridge', { id: '/a', networks: [{ mode: 'container/bridge' }], portDefinitions: [{ port: 0 }], container: { docker: { image: 'x' } } }, 'port-definitions-with-bridge'],
    ['path on COMMAND', { id: '/a', cmd: 'x', healthChecks: [{ protocol: 'COMMAND', command: { value: 'true' }, path: '/', gracePeriodSeconds: 60 }] }, 'health-check-path-ignored'],
  ])('%s', (_name, def, code) => expect(codes(def)).toContain(code));

  it('a clean host-networking app has no findings', () => {
    expect(lintApp({ id: '/a', cmd: 'x', instances: 2, portDefinitions: [{ port: 0 }], taskKillGracePeriodSeconds: 10, healthChecks: [{ protocol: 'MESOS_HTTP', gracePeriodSeconds: 60 }] })).toEqual([]);
  });

  // mesosphere/marathon api/v2/AppNormalization.scala (maybeDropPortMappings): container.portMappings
  // survive only with a bridge or container network; otherwise the app runs on host networking.
  const mapped = { type: 'DOCKER' as const, docker: { image: 'x' }, portMappings: [{ containerPort: 80, hostPort: 0 }] };
  it.each<[string, AppDefinition, boolean]>([
    ['no networks', { id: '/a', container: mapped, taskKillGracePeriodSeconds: 5 }, true],
    ['host network', { id: '/a', networks: [{ mode: 'host' }], container: mapped, taskKillGracePeriodSeconds: 5 }, true],
    ['bridge network', { id: '/a', networks: [{ mode: 'container/bridge' }], container: mapped, taskKillGracePeriodSeconds: 5 }, false],
    ['container network', { id: '/a', networks: [{ mode: 'container', name: 'n' }], container: mapped, taskKillGracePeriodSeconds: 5 }, false],
    ['legacy docker.network BRIDGE', { id: '/a', container: { ...mapped, docker: { image: 'x', network: 'BRIDGE' as const } }, taskKillGracePeriodSeconds: 5 }, false],
  ])('portMappings with %s → port-mappings-without-networks: %s', (_name, def, found) => {
    expect(codes(def).includes('port-mappings-without-networks')).toBe(found);
  });

  // mesosphere/marathon mesos/TaskBuilder.scala hands taskKillGracePeriodSeconds to Mesos as the kill
  // policy; without it the Mesos Docker executor stops the container at once (a drain is cut).
  it.each<[string, AppDefinition, boolean]>([
    ['a service port', { id: '/a', cmd: 'x', portDefinitions: [{ port: 0 }] }, true],
    ['HAPROXY_ labels only', { id: '/a', cmd: 'x', labels: { HAPROXY_GROUP: 'external' } }, true],
    ['a bridge port mapping', { id: '/a', networks: [{ mode: 'container/bridge' }], container: mapped }, true],
    ['the field set', { id: '/a', cmd: 'x', portDefinitions: [{ port: 0 }], taskKillGracePeriodSeconds: 10 }, false],
    ['no ports, no labels', { id: '/a', cmd: 'x' }, false],
  ])('%s without taskKillGracePeriodSeconds → no-task-kill-grace-period: %s', (_name, def, found) => {
    expect(codes(def).includes('no-task-kill-grace-period')).toBe(found);
  });

  it('examples/hello/marathon.json sets taskKillGracePeriodSeconds and lints clean of both', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../../examples/hello/marathon.json', import.meta.url), 'utf8');
    const def = fillTemplate(JSON.parse(text), { image: '127.0.0.1:5000/hello:1' }).value as AppDefinition;
    expect(def.taskKillGracePeriodSeconds).toBeGreaterThan(0);
    expect(codes(def)).not.toContain('no-task-kill-grace-period');
    expect(codes(def)).not.toContain('port-mappings-without-networks');
  });

  it('grace period: default 300 is fine, 29 is short, 30 is not', () => {
    const g = (n?: number) => codes({ id: '/a', cmd: 'x', healthChecks: [{ protocol: 'MESOS_TCP', ...(n === undefined ? {} : { gracePeriodSeconds: n }) }] });
    expect(g()).toEqual([]);
    expect(g(29)).toEqual(['short-grace-period']);
    expect(g(30)).toEqual([]);
  });
});
