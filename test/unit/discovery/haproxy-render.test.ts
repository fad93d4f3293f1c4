import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { planApply } from '../../../src/haproxy/plan.js';
import { assignSlots, hasNewcomer, renderConfig, type RenderOptions } from '../../../src/haproxy/render.js';
import { buildServices, ipVersion, type ServiceOptions } from '../../../src/haproxy/services.js';
import type { AppInfo } from '../../../src/marathon/types.js';
import { alive, app, failing, httpCheck, task, tcpCheck } from './fixtures.js';

const resolve = (h: string) => ({ 'agent-1.example.com': '10.0.0.1', localhost: '127.0.0.1' })[h];
const svcOpts: ServiceOptions = { bind: '127.0.0.1', resolve };
const renderOpts: RenderOptions = { statsSocket: '/run/bbm/haproxy.sock', httpPort: 8080, httpBind: '127.0.0.1' };

function render(apps: AppInfo[], o: Partial<ServiceOptions> = {}, r: Partial<RenderOptions> = {}) {
  const { services, warnings } = buildServices(apps, { ...svcOpts, ...o });
  return { ...renderConfig(services, { ...renderOpts, ...r }), services, warnings };
}

/** The lines of one section (frontend/backend NAME) without indentation. */
function section(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('  ')) break;
    out.push(l.trim());
  }
  return out;
}

describe('buildServices: which tasks receive traffic', () => {
  const cases: [string, AppInfo, string[]][] = [
    ['tasks without health checks count when running', app('/a', [10001], [task('/a', '10.0.0.2', [31001]), task('/a', '10.0.0.1', [31000])]), ['10.0.0.1:31000', '10.0.0.2:31001']],
    ['staging tasks are left out', app('/a', [10001], [task('/a', '10.0.0.1', [31000], { state: 'TASK_STAGING' })]), []],
    [
      'tasks in the grace period are left out',
      app('/a', [10001], [task('/a', '10.0.0.1', [31000], { healthCheckResults: [] }), task('/a', '10.0.0.2', [31001], { healthCheckResults: [alive()] })], { healthChecks: [tcpCheck] }),
      ['10.0.0.2:31001'],
    ],
    ['failing tasks are left out', app('/a', [10001], [task('/a', '10.0.0.1', [31000], { healthCheckResults: [failing()] })], { healthChecks: [tcpCheck] }), []],
    ['host names are resolved', app('/a', [10001], [task('/a', 'agent-1.example.com', [31000])]), ['10.0.0.1:31000']],
    ['unresolvable hosts are left out', app('/a', [10001], [task('/a', 'nowhere.example.com', [31000])]), []],
  ];
  it.each(cases)('%s', (_n, a, expected) => {
    const { services } = buildServices([a], svcOpts);
    expect(services[0]!.servers.map((s) => `${s.ip}:${s.port}`)).toEqual(expected);
  });
});

describe('buildServices: labels', () => {
  const cases: [string, Record<string, string>, { mode?: string; balance?: string; vhosts?: string[]; bind?: string; warn?: RegExp }][] = [
    ['default is tcp roundrobin', {}, { mode: 'tcp', balance: 'roundrobin', vhosts: [] }],
    ['MODE http', { HAPROXY_0_MODE: 'http' }, { mode: 'http' }],
    ['MODE is case-insensitive', { HAPROXY_0_MODE: 'HTTP' }, { mode: 'http' }],
    ['bad MODE warns, tcp', { HAPROXY_0_MODE: 'http\n  server evil 1.2.3.4:80' }, { mode: 'tcp', warn: /HAPROXY_0_MODE.*not http or tcp/ }],
    ['BALANCE leastconn', { HAPROXY_0_BALANCE: 'leastconn' }, { balance: 'leastconn' }],
    ['bad BALANCE warns', { HAPROXY_0_BALANCE: 'roundrobin\nlisten x' }, { balance: 'roundrobin', warn: /HAPROXY_0_BALANCE/ }],
    ['VHOST turns on http', { HAPROXY_0_VHOST: 'Web.Example.com, api.example.com' }, { mode: 'http', vhosts: ['web.example.com', 'api.example.com'] }],
    ['bad VHOST entries are dropped', { HAPROXY_0_VHOST: 'ok.example.com,bad host,x;y,-a.com' }, { vhosts: ['ok.example.com'], warn: /not a host name/ }],
    ['BIND_ADDR', { HAPROXY_0_BIND_ADDR: '10.1.2.3' }, { bind: '10.1.2.3' }],
    ['bad BIND_ADDR', { HAPROXY_0_BIND_ADDR: '0.0.0.0:80 ssl' }, { bind: '127.0.0.1', warn: /not an IP/ }],
    ['labels of another port index do not apply', { HAPROXY_1_MODE: 'http' }, { mode: 'tcp' }],
  ];
  it.each(cases)('%s', (_n, labels, expected) => {
    const { services, warnings } = buildServices([app('/a', [10001], [], { labels })], svcOpts);
    const s = services[0]!;
    if (expected.mode) expect(s.mode).toBe(expected.mode);
    if (expected.balance) expect(s.balance).toBe(expected.balance);
    if (expected.vhosts) expect(s.vhosts).toEqual(expected.vhosts);
    if (expected.bind) expect(s.bind).toBe(expected.bind);
    if (expected.warn) expect(warnings.map((w) => `${w.path} ${w.message}`).join('\n')).toMatch(expected.warn);
    else expect(warnings).toEqual([]);
  });

  it('an HTTP health check on the port means http mode (as marathon-lb)', () => {
    const { services } = buildServices([app('/a', [10001], [], { healthChecks: [httpCheck] })], svcOpts);
    expect(services[0]!.mode).toBe('http');
  });

  it.each([
    ['no --group: every app', undefined, ['/a', '/b', '/c']],
    ['--group external', 'external', ['/a', '/c']],
    ['--group internal', 'internal', ['/b']],
    ['--group *', '*', ['/a', '/b', '/c']],
  ])('%s', (_n, group, expected) => {
    const apps = [
      app('/a', [10001], [], { labels: { HAPROXY_GROUP: 'external' } }),
      app('/b', [10002], [], { labels: { HAPROXY_GROUP: 'internal' } }),
      app('/c', [10003], [], { labels: { HAPROXY_GROUP: 'internal', HAPROXY_0_GROUP: 'external' } }),
    ];
    const { services } = buildServices(apps, { ...svcOpts, ...(group === undefined ? {} : { group }) });
    expect(services.map((s) => s.appId)).toEqual(expected);
  });

  it('HAPROXY_{n}_ENABLED=false leaves the port out', () => {
    const { services } = buildServices([app('/a', [10001, 10002], [], { labels: { HAPROXY_0_ENABLED: 'false' } })], svcOpts);
    expect(services.map((s) => s.servicePort)).toEqual([10002]);
  });

  it('refuses duplicate service ports, udp ports, port 0, reserved ports and invalid app ids, with warnings', () => {
    const apps: AppInfo[] = [
      app('/a', [10001], []),
      app('/b', [10001], []),
      app('/c', [0], []),
      app('/d', [8080], []),
      app('/Bad Id', [10005], []),
      { ...app('/u', [10006], []), container: { portMappings: [{ servicePort: 10006, protocol: 'udp' }] } },
    ];
    const { services, warnings } = buildServices(apps, { ...svcOpts, reservedPorts: [8080] });
    expect(services.map((s) => s.appId)).toEqual(['/a']);
    const text = warnings.map((w) => `${w.path}: ${w.message}`).join('\n');
    expect(text).toMatch(/\/b port 0: service port 10001 is already used by \/a port 0/);
    expect(text).toMatch(/\/c port 0: service port 0/);
    expect(text).toMatch(/\/d port 0: service port 8080 is already used by bbm haproxy itself/);
    expect(text).toMatch(/"\/Bad Id": not a valid Marathon app id/);
    expect(text).toMatch(/\/u port 0: protocol "udp"/);
  });

  it('a duplicate vhost goes to the first app only', () => {
    const apps = [app('/a', [10001], [], { labels: { HAPROXY_0_VHOST: 'x.example.com' } }), app('/b', [10002], [], { labels: { HAPROXY_0_VHOST: 'x.example.com' } })];
    const { services, warnings } = buildServices(apps, svcOpts);
    expect(services.map((s) => s.vhosts)).toEqual([['x.example.com'], []]);
    expect(warnings[0]!.message).toMatch(/already routed to \/a port 0/);
  });

  it('hostile task fields are left out', () => {
    const apps = [app('/a', [10001], [task('/a', '10.0.0.1\n  server x 1.1.1.1:1', [31000]), task('/a', '10.0.0.2', [70000]), task('/a', '10.0.0.3', [31002])])];
    const { services, warnings } = buildServices(apps, svcOpts);
    expect(services[0]!.servers.map((s) => s.ip)).toEqual(['10.0.0.3']);
    expect(warnings).toHaveLength(2);
  });
});

describe('renderConfig', () => {
  it('renders one frontend per service port and a backend of healthy tasks in slots', () => {
    const { text } = render([
      app('/web', [10080], [task('/web', '10.0.0.2', [31002], { healthCheckResults: [alive()] }), task('/web', '10.0.0.1', [31001], { healthCheckResults: [alive()] }), task('/web', '10.0.0.3', [31003], { healthCheckResults: [failing()] })], {
        healthChecks: [httpCheck],
        labels: { HAPROXY_0_BALANCE: 'leastconn' },
      }),
    ]);
    expect(section(text, 'frontend bbm_web_10080')).toEqual(['bind 127.0.0.1:10080', 'mode http', 'option forwardfor', 'option idle-close-on-response', 'default_backend bbm_web_10080']);
    expect(section(text, 'backend bbm_web_10080')).toEqual([
      'mode http',
      'balance leastconn',
      'retry-on conn-failure empty-response junk-response response-timeout',
      'http-request disable-l7-retry if !METH_GET',
      'server s1 10.0.0.1:31001',
      'server s2 10.0.0.2:31002',
      'server s3 0.0.0.0:0 disabled',
      'server s4 0.0.0.0:0 disabled',
    ]);
    expect(section(text, 'global')).toContain('stats socket /run/bbm/haproxy.sock mode 600 level admin expose-fd listeners');
  });

  it('routes vhosts on the shared http frontend, only when one exists', () => {
    const apps = [app('/a', [10001], [], { labels: { HAPROXY_0_VHOST: 'a.example.com,www.a.example.com' } }), app('/b', [10002], [])];
    const { text } = render(apps, {}, { httpPort: 18080 });
    expect(section(text, 'frontend bbm_http_vhosts')).toEqual([
      'bind 127.0.0.1:18080',
      'mode http',
      'option forwardfor',
      'option idle-close-on-response',
      'acl host_bbm_a_10001 req.hdr(host),field(1,:),lower -m str a.example.com www.a.example.com',
      'use_backend bbm_a_10001 if host_bbm_a_10001',
    ]);
    expect(render([app('/b', [10002], [])]).text).not.toMatch(/bbm_http_vhosts/);
  });

  it('binds IPv6 addresses with the ipv6@ prefix', () => {
    const { text } = render([app('/a', [10001], [task('/a', '::1', [31000])])], { bind: '::' });
    expect(section(text, 'frontend bbm_a_10001')[0]).toBe('bind ipv6@:::10001');
    expect(section(text, 'backend bbm_a_10001')).toContain('server s1 ipv6@::1:31000');
  });

  it('is deterministic whatever the order of apps and tasks', () => {
    const t = [task('/a', '10.0.0.1', [31000]), task('/a', '10.0.0.2', [31001]), task('/a', '10.0.0.3', [31002])];
    const one = render([app('/a', [10001], t), app('/b', [10002], [])]).text;
    const two = render([app('/b', [10002], []), app('/a', [10001], [...t].reverse())]).text;
    expect(two).toBe(one);
  });

  it('no hostile label value or task field reaches the file', () => {
    const evil = 'x\n  server evil 6.6.6.6:66\nlisten pwn\n  bind :1';
    const apps = [
      app('/a', [10001], [task('/a', evil, [31000]), task('/a', '10.0.0.1', [31001])], {
        labels: { HAPROXY_GROUP: evil, HAPROXY_0_MODE: evil, HAPROXY_0_BALANCE: evil, HAPROXY_0_VHOST: evil, HAPROXY_0_BIND_ADDR: evil },
      }),
    ];
    const { text } = render(apps);
    expect(text).not.toMatch(/evil|pwn|6\.6\.6\.6/);
    expect(text).not.toMatch(/bind :1$/m);
  });

  it('refuses a stats socket path that would break the line', () => {
    expect(() => render([], {}, { statsSocket: '/tmp/x sock\nlisten y' })).toThrow(/stats socket path/);
  });

  it('grows the slot table to a power of two', () => {
    const tasks = Array.from({ length: 5 }, (_, i) => task('/a', `10.0.0.${i + 1}`, [31000]));
    const { slots } = render([app('/a', [10001], tasks)]);
    expect(slots.get('bbm_a_10001')).toHaveLength(8);
  });
});

describe('assignSlots', () => {
  const cases: [string, string[], (string | null)[] | undefined, (string | null)[]][] = [
    ['fresh: sorted into the first slots', ['a', 'b'], undefined, ['a', 'b', null, null]],
    ['a staying server keeps its slot', ['b', 'c'], ['a', 'b', null, null], ['c', 'b', null, null]],
    ['removals leave holes', ['b'], ['a', 'b', 'c', null], [null, 'b', null, null]],
    ['growing keeps places', ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd', 'e', null, null, null]],
    ['never shrinks while running', [], ['a', 'b', 'c', 'd', 'e', null, null, null], [null, null, null, null, null, null, null, null]],
  ];
  it.each(cases)('%s', (_n, keys, previous, expected) => expect(assignSlots(keys, previous, 4)).toEqual(expected));

  // With the running HAProxy's busy slots (HTTP backends applied through the runtime API), a new
  // server goes only into a slot that was empty and has no connection in use: a connection busy
  // when a slot is re-addressed would carry later requests to the old task.
  const busyCases: [string, string[], (string | null)[], number[], (string | null)[]][] = [
    ['a replaced server does not take the slot just left', ['b'], ['a', null, null, null], [], [null, 'b', null, null]],
    ['nor a slot still busy from an earlier task', ['b'], ['a', null, null, null], [1], [null, null, 'b', null]],
    ['an empty slot with nothing in use is re-addressed', ['x', 'b'], ['x', null, null, null], [], ['x', 'b', null, null]],
    ['staying servers keep their slots, busy or not', ['a', 'b'], ['a', 'b', null, null], [0, 1], ['a', 'b', null, null]],
    ['no open slot left: the table grows', ['b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd'], [], [null, 'b', 'c', 'd', 'e', null, null, null]],
    ['busy empty slots count as taken when growing', ['k', 'n1', 'n2'], [null, null, null, 'k'], [0, 1, 2], [null, null, null, 'k', 'n1', 'n2', null, null]],
    ['removals only: nothing moves', [], ['a', 'b', null, null], [0], [null, null, null, null]],
  ];
  it.each(busyCases)('busy slots: %s', (_n, keys, previous, busy, expected) => expect(assignSlots(keys, previous, 4, new Set(busy))).toEqual(expected));
  it.each([
    [['a'], ['a', null], false],
    [['a', 'b'], ['a', null], true],
    [[], [null], false],
    [['a'], undefined, true],
  ] as [string[], (string | null)[] | undefined, boolean][])('hasNewcomer(%j, %j) is %s', (keys, previous, expected) => expect(hasNewcomer(keys, previous)).toBe(expected));
  it('busy slots: without them, the slot just left is taken again (the order of a one-shot run or a reload)', () => {
    expect(assignSlots(['b'], ['a', null, null, null], 4)).toEqual(['b', null, null, null]);
  });
});

describe('renderConfig with busy slots', () => {
  const previous = (name: string) => new Map([[name, ['10.0.0.1:31000', null, null, null]]]);
  const next = (labels: Record<string, string>) => buildServices([app('/a', [10001], [task('/a', '10.0.0.2', [31000])], { labels })], svcOpts).services;
  it('an HTTP backend keeps a new task out of the slot just left', () => {
    const { slots } = renderConfig(next({ HAPROXY_0_MODE: 'http' }), renderOpts, previous('bbm_a_10001'), new Map());
    expect(slots.get('bbm_a_10001')).toEqual([null, '10.0.0.2:31000', null, null]);
  });
  it('a TCP backend reuses no server connection: the slot is taken again', () => {
    const { slots } = renderConfig(next({}), renderOpts, previous('bbm_a_10001'), new Map([['bbm_a_10001', new Set([0, 1])]]));
    expect(slots.get('bbm_a_10001')).toEqual(['10.0.0.2:31000', null, null, null]);
  });
});

describe('planApply', () => {
  const t1 = task('/a', '10.0.0.1', [31000]);
  const t2 = task('/a', '10.0.0.2', [31001]);
  const t3 = task('/a', '10.0.0.3', [31002]);
  const base = render([app('/a', [10001], [t1, t2])]);
  const again = (apps: AppInfo[]) => {
    const { services } = buildServices(apps, svcOpts);
    return renderConfig(services, renderOpts, base.slots);
  };

  it('first config: reload', () => expect(planApply(undefined, base).kind).toBe('reload'));
  it('same text: nothing', () => expect(planApply(base, again([app('/a', [10001], [t2, t1])]))).toEqual({ kind: 'none' }));
  it('a task replaced: runtime commands, new server enabled before the old one is disabled', () => {
    expect(planApply(base, again([app('/a', [10001], [t2, t3])]))).toEqual({
      kind: 'runtime',
      commands: [
        'set server bbm_a_10001/s1 state maint',
        'set server bbm_a_10001/s1 addr 10.0.0.3 port 31002',
        'set server bbm_a_10001/s1 state ready',
      ],
    });
  });
  it('scale up within slots, then down', () => {
    const up = again([app('/a', [10001], [t1, t2, t3])]);
    expect(planApply(base, up)).toEqual({ kind: 'runtime', commands: ['set server bbm_a_10001/s3 addr 10.0.0.3 port 31002', 'set server bbm_a_10001/s3 state ready'] });
    const down = renderConfig(buildServices([app('/a', [10001], [t3])], svcOpts).services, renderOpts, up.slots);
    expect(planApply(up, down)).toEqual({ kind: 'runtime', commands: ['set server bbm_a_10001/s1 state maint', 'set server bbm_a_10001/s2 state maint'] });
  });
  it('a new app: reload', () => expect(planApply(base, again([app('/a', [10001], [t1, t2]), app('/b', [10002], [])])).kind).toBe('reload'));
  it('a mode change: reload', () => expect(planApply(base, again([app('/a', [10001], [t1, t2], { labels: { HAPROXY_0_MODE: 'http' } })])).kind).toBe('reload'));
  it('more tasks than slots: reload', () => {
    const many = Array.from({ length: 5 }, (_, i) => task('/a', `10.0.1.${i}`, [31000]));
    expect(planApply(base, again([app('/a', [10001], many)])).kind).toBe('reload');
  });
});

describe('ipVersion: node:net isIP, with IPv4 read without a regular expression', () => {
  const cases: [string, 0 | 4 | 6][] = [
    ['10.0.0.1', 4],
    ['0.0.0.0', 4],
    ['255.255.255.255', 4],
    ['1.2.3.4', 4],
    ['256.1.1.1', 0],
    ['01.2.3.4', 0],
    ['1.2.3', 0],
    ['1.2.3.4.5', 0],
    ['1.2.3.', 0],
    ['.1.2.3', 0],
    ['1..2.3', 0],
    ['1.2.3.4 ', 0],
    ['1.2.3.4\n', 0],
    ['1.2.3.0400', 0],
    ['::1', 6],
    ['::ffff:1.2.3.4', 6],
    ['fe80::1%eth0', 6],
    ['', 0],
    ['localhost', 0],
  ];
  it.each(cases)('%j → %i', (value, expected) => expect(ipVersion(value)).toBe(expected));

  it('agrees with isIP on 50 000 near-IPv4 strings from a seeded generator', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const digits = '01234567890025';
    let valid = 0;
    for (let n = 0; n < 50_000; n++) {
      const parts = rnd() < 0.6 ? 4 : 3 + Math.floor(rnd() * 3);
      const groups: string[] = [];
      for (let p = 0; p < parts; p++) {
        let g = '';
        const length = Math.floor(rnd() * 4.3);
        for (let i = 0; i < length; i++) g += digits[Math.floor(rnd() * digits.length)];
        groups.push(g);
      }
      const value = groups.join('.') + (rnd() < 0.05 ? ' ' : '');
      const expected = isIP(value);
      if (expected === 4) valid++;
      if (ipVersion(value) !== expected) expect.fail(`${JSON.stringify(value)}: ipVersion ${ipVersion(value)}, isIP ${expected}`);
    }
    expect(valid).toBeGreaterThan(1_000); // valid ones among the near misses, so the comparison covers both answers
  });
});
