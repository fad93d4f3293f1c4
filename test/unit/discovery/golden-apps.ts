/**
 * A large, varied and reproducible set of Marathon apps for the HAProxy golden test: every label,
 * port layout, health-check kind, task state and hostile value the renderer has a rule for, mixed
 * by a seeded generator so that the same seed always gives the same apps.
 */
import type { AppInfo, HealthCheck, Task } from '../../../src/marathon/types.js';

/** mulberry32: a small seeded PRNG (deterministic across Node versions, unlike Math.random). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVIL = 'x\n  server evil 6.6.6.6:66\nlisten pwn\n  bind :1';

/** Host names the golden test's resolver knows (everything else does not resolve). */
export const RESOLVABLE: Readonly<Record<string, string>> = {
  'agent-1.example.com': '10.1.0.1',
  'agent-2.example.com': '10.1.0.2',
  'agent-6.example.com': 'fd00::6',
  localhost: '127.0.0.1',
};

export function goldenApps(seed: number, count: number): AppInfo[] {
  const rnd = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const chance = (p: number) => rnd() < p;
  const apps: AppInfo[] = [];
  let nextPort = 10000;

  for (let i = 0; i < count; i++) {
    const id = chance(0.03)
      ? pick(['/Bad Id', '/a//b', 'relative', '/-x', `/team-${i}/app-${i}/`, '/ok/UPPER'])
      : chance(0.02) && apps.length > 0
        ? (apps[apps.length - 1]!.id as string) // the same id twice
        : `/team-${i % 17}/app-${i}${chance(0.2) ? `.v${i % 3}` : ''}`;
    const nPorts = pick([0, 1, 1, 1, 1, 2, 2, 3]);
    const servicePorts = Array.from({ length: nPorts }, () =>
      chance(0.04) ? pick([0, 70000, 8080, 10000 + Math.floor(rnd() * 40)]) : nextPort++,
    );
    const protocols = servicePorts.map(() => (chance(0.05) ? pick(['udp', 'udp,tcp', 'tcp'] as const) : 'tcp'));

    const labels: Record<string, unknown> = {};
    if (chance(0.7)) labels.HAPROXY_GROUP = pick(['external', 'internal', 'external,internal', ' internal , external ', EVIL]);
    servicePorts.forEach((_, n) => {
      const L = (key: string, value: unknown) => (labels[`HAPROXY_${n}_${key}`] = value);
      if (chance(0.1)) L('GROUP', pick(['external', 'internal', '']));
      if (chance(0.25)) L('MODE', pick(['http', 'tcp', 'HTTP', ' Http ', 'udp', EVIL, 42]));
      if (chance(0.2)) L('BALANCE', pick(['leastconn', 'source', 'random', 'static-rr', 'first', 'ROUNDROBIN', 'bogus', EVIL]));
      if (chance(0.1)) L('BIND_ADDR', pick(['10.2.3.4', '0.0.0.0', '::', 'fe80::1', '0.0.0.0:80 ssl', '01.2.3.4', EVIL]));
      if (chance(0.06)) L('ENABLED', pick(['false', 'FALSE', 'true', 'no']));
      if (chance(0.15)) {
        const many = chance(0.15) ? 45 + Math.floor(rnd() * 50) : 1 + Math.floor(rnd() * 4);
        const hosts = Array.from({ length: many }, (_, k) =>
          chance(0.05) ? pick(['bad host', 'x;y', '-a.com', '', EVIL]) : chance(0.05) ? `shared-${k % 3}.example.com` : `H${k}.app-${i}-${n}.Example.com`,
        );
        L('VHOST', hosts.join(pick([',', ', ', ' ,'])));
      }
    });

    const healthChecks: HealthCheck[] = [];
    const nChecks = pick([0, 0, 1, 1, 1, 2]);
    for (let c = 0; c < nChecks; c++) {
      healthChecks.push({ protocol: pick(['HTTP', 'MESOS_HTTP', 'MESOS_TCP', 'TCP', 'COMMAND', 'HTTPS'] as const), portIndex: pick([0, 0, 1]) });
    }
    if (chance(0.05)) healthChecks.push({ path: '/' }); // no protocol: HTTP

    const tasks: Task[] = [];
    const nTasks = pick([0, 1, 2, 3, 3, 3, 4, 5, 9]);
    for (let t = 0; t < nTasks; t++) {
      const host = chance(0.85)
        ? `10.0.${Math.floor(rnd() * 4)}.${1 + Math.floor(rnd() * 20)}`
        : pick(['agent-1.example.com', 'agent-2.example.com', 'agent-6.example.com', 'nowhere.example.com', 'fd00::1', '::1', '2001:db8::42', '010.0.0.1', EVIL, '']);
      const ports = servicePorts.map(() => (chance(0.03) ? pick([0, 70000, -1, 1.5]) : 31000 + Math.floor(rnd() * 1000)));
      if (chance(0.02)) ports.pop();
      const results = healthChecks.map(() => ({
        alive: chance(0.9),
        consecutiveFailures: 0,
        firstSuccess: null,
        lastFailure: null,
        lastSuccess: null,
        instanceId: `i-${i}-${t}`,
      }));
      if (chance(0.05)) results.pop(); // still in its grace period
      tasks.push({
        id: `${String(id).replace(/^\//, '').replace(/\//g, '_')}.instance-${i}-${t}._app.1`,
        appId: String(id),
        host,
        ports,
        servicePorts,
        state: chance(0.9) ? 'TASK_RUNNING' : pick(['TASK_STAGING', 'TASK_KILLING', 'TASK_FAILED'] as const),
        version: '2026-01-01T00:00:00.000Z',
        ...(healthChecks.length > 0 && !chance(0.03) ? { healthCheckResults: results } : {}),
      } as Task);
    }

    const layout = pick(['mappings', 'mappings', 'definitions', 'legacy', 'tasks-only']);
    const app: AppInfo = { id, instances: nTasks, version: '2026-01-01T00:00:00.000Z', tasks, labels: labels as Record<string, string> } as AppInfo;
    if (healthChecks.length > 0) app.healthChecks = healthChecks;
    if (layout === 'mappings') {
      app.container = { type: 'DOCKER', docker: { image: 'x' }, portMappings: servicePorts.map((p, k) => ({ containerPort: 8000 + k, hostPort: 0, servicePort: p, protocol: protocols[k] })) };
    } else if (layout === 'legacy') {
      app.container = { type: 'DOCKER', docker: { image: 'x', portMappings: servicePorts.map((p, k) => ({ containerPort: 8000 + k, servicePort: p, protocol: protocols[k] })) } };
    } else if (layout === 'definitions') {
      app.portDefinitions = servicePorts.map((p, k) => ({ port: p, protocol: protocols[k] }));
    }
    apps.push(app);
  }
  // Marathon's answer is input: a few entries that are not apps at all.
  apps.splice(7, 0, null as unknown as AppInfo, { id: 42 } as unknown as AppInfo, [] as unknown as AppInfo);
  // Listed in no particular order: the output must not depend on it.
  for (let k = apps.length - 1; k > 0; k--) {
    const j = Math.floor(rnd() * (k + 1));
    [apps[k], apps[j]] = [apps[j]!, apps[k]!];
  }
  return apps;
}

/**
 * The same apps a moment later: some tasks gone, some new, some failing, as the bridge sees
 * them on its next sync (for rendering with the previous slot table).
 */
export function churned(apps: readonly AppInfo[], seed: number): AppInfo[] {
  const rnd = prng(seed);
  const copy = structuredClone(apps) as AppInfo[];
  for (const app of copy) {
    if (!app || typeof app !== 'object' || !Array.isArray(app.tasks)) continue;
    app.tasks = app.tasks.filter(() => rnd() > 0.25);
    const extra = Math.floor(rnd() * 4);
    for (let t = 0; t < extra; t++) {
      const template = app.tasks[0];
      if (!template) break;
      app.tasks.push({ ...template, id: `${template.id}.new-${t}`, host: `10.0.9.${1 + Math.floor(rnd() * 200)}`, ports: template.ports.map((p) => (typeof p === 'number' ? p + 1 : p)) });
    }
  }
  return copy;
}
