/**
 * A small in-process model of Marathon's app versioning, for the behaviours `bbm devcluster`
 * cannot be made to show on demand (a PUT that lands and then answers 503, a 1.9.71+ master that
 * stamps a cancel-rollback with its start-up time, a 409 that still stores a version). Each
 * behaviour follows a mesosphere/marathon source file at v1.10.26, named where it is modelled.
 * Tasks start healthy at once unless the definition carries the label `fake.unhealthy`; the
 * event stream is refused (405), so bbm follows deployments by polling.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson, startTestServer, type Recorded, type TestServer } from './http-server.js';

type Def = Record<string, unknown> & { id: string; labels?: Record<string, string>; instances?: number };

interface FakeTask {
  id: string;
  version: string;
  healthy: boolean;
}

interface FakeApp {
  def: Def;
  version: string;
  lastConfigChangeAt: string;
  tasks: FakeTask[];
}

interface FakeDeployment {
  id: string;
  version: string;
  appId: string;
  /** GET /v2/deployments answers that list it before it is done (-1: never done). */
  pollsLeft: number;
  /** What the app becomes when it is done. */
  finish: () => void;
  /** The definition before it (plan.original): what a cancel rolls back to. */
  original: Def | undefined;
}

export interface FakeMarathonOptions {
  /** How a cancel-rollback is versioned: 'fresh' (1.5–1.8, a new timestamp) or 'startup' (1.9.71+, Group.defaultVersion). */
  rollbackVersion?: 'fresh' | 'startup';
  /** How many GET /v2/deployments list a changing deployment before it ends (default 1). */
  deploymentPolls?: number;
}

export interface FakeMarathon {
  url: string;
  server: TestServer;
  apps: Map<string, FakeApp>;
  versions: Map<string, Map<string, Def>>;
  /** Arm: the next `n` PUTs of a definition are applied and then answered 503 (a proxy that lost the answer). */
  landThen503(n: number): void;
  /** Arm: the next PUT is refused with 409 after its version is stored (GroupManagerImpl.updateRootEither stores first). */
  store409Once(): void;
  /** Every task ever started, by id (a task restart shows up as a new id). */
  started: string[];
  close(): Promise<void>;
}

const STARTUP = '2020-01-01T00:00:00.000Z';

/** JSON with object keys sorted at every level: two definitions compare equal when their content is. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export async function startFakeMarathon(opts: FakeMarathonOptions = {}): Promise<FakeMarathon> {
  const server = await startTestServer();
  const apps = new Map<string, FakeApp>();
  const versions = new Map<string, Map<string, Def>>();
  let deployments: FakeDeployment[] = [];
  const started: string[] = [];
  let land503 = 0;
  let refuse409 = false;
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const now = () => new Date((clock += 1_000)).toISOString();

  const config = (d: Def) => {
    const { version: _v, versionInfo: _vi, instances: _i, ...rest } = d as Def & { version?: unknown; versionInfo?: unknown };
    return stable(rest);
  };
  const startTasks = (def: Def, version: string): FakeTask[] =>
    Array.from({ length: def.instances ?? 1 }, () => {
      const t = { id: `${def.id.slice(1)}.instance-${randomUUID()}._app.1`, version, healthy: !def.labels?.['fake.unhealthy'] };
      started.push(t.id);
      return t;
    });
  const store = (id: string, version: string, def: Def) => {
    const m = versions.get(id) ?? new Map<string, Def>();
    m.set(version, { ...def, version } as Def);
    versions.set(id, m);
  };
  const appJson = (a: FakeApp) => ({
    ...a.def,
    version: a.version,
    versionInfo: { lastConfigChangeAt: a.lastConfigChangeAt, lastScalingAt: a.version },
    tasks: a.tasks.map((t) => ({
      id: t.id,
      appId: a.def.id,
      host: '127.0.0.1',
      ports: [31000],
      state: 'TASK_RUNNING',
      version: t.version,
      healthCheckResults: (a.def.healthChecks as unknown[] | undefined)?.length ? [{ alive: t.healthy }] : [],
    })),
    deployments: deployments.filter((d) => d.appId === a.def.id).map((d) => ({ id: d.id })),
  });

  /** A new configuration: stored, then deployed by replacing every task (TaskReplaceActor with 1/1). */
  function deploy(id: string, def: Def, version: string): FakeDeployment {
    const app = apps.get(id);
    const next: FakeApp = { def: { ...def, id }, version, lastConfigChangeAt: version, tasks: app?.tasks ?? [] };
    apps.set(id, next);
    const newTasks = startTasks(next.def, version);
    const d: FakeDeployment = {
      original: app?.def,
      id: randomUUID(),
      version,
      appId: id,
      pollsLeft: newTasks.every((t) => t.healthy) ? (opts.deploymentPolls ?? 1) : -1,
      finish: () => {
        next.tasks = newTasks;
      },
    };
    next.tasks = [...next.tasks, ...newTasks];
    deployments.push(d);
    return d;
  }

  function put(id: string, body: Def, res: ServerResponse): void {
    const app = apps.get(id);
    const version = now();
    if (app && config(app.def) === config(body) && (body.instances ?? 1) === (app.def.instances ?? 1)) {
      // api/v2/AppHelpers.scala keeps the current versionInfo and upgrade/GroupVersioningUtil.scala
      // leaves an unchanged app alone: a new root version, a plan without steps (so no lock conflict
      // with a deployment still running for it), the app as it was.
      return sendJson(res, 200, { deploymentId: randomUUID(), version });
    }
    if (app && deployments.some((d) => d.appId === id)) {
      store(id, version, body); // core/group/impl/GroupManagerImpl.scala: storeRootVersion runs before the deploy that refuses it
      return sendJson(res, 409, { message: 'App is locked by one or more deployments.', deployments: deployments.filter((d) => d.appId === id).map((d) => ({ id: d.id })) });
    }
    if (refuse409) {
      refuse409 = false;
      store(id, version, body);
      return sendJson(res, 409, { message: 'App is locked by one or more deployments.', deployments: [{ id: randomUUID() }] });
    }
    if (Object.keys(body).length === 1 && typeof body.version === 'string') {
      const old = versions.get(id)?.get(body.version as string);
      if (!old || !app) return sendJson(res, 404, { message: `App '${id}' does not exist in version ${String(body.version)}` });
      store(id, version, old);
      const d = deploy(id, old, version);
      return sendJson(res, 200, { deploymentId: d.id, version });
    }
    store(id, version, body);
    const d = deploy(id, body, version);
    if (land503 > 0) {
      land503--;
      return sendJson(res, 503, { message: 'upstream went away' });
    }
    sendJson(res, app ? 200 : 201, { deploymentId: d.id, version });
  }

  function cancel(depId: string, res: ServerResponse): void {
    const d = deployments.find((x) => x.id === depId);
    if (!d) return sendJson(res, 404, { message: `DeploymentPlan ${depId} does not exist` });
    deployments = deployments.filter((x) => x !== d);
    const app = apps.get(d.appId)!;
    const before = d.original;
    // A cancel-rollback is a deployment of its own with a version of its own: 1.5–1.8 a fresh
    // timestamp, 1.9.71+ the master's start-up time (state/Group.scala defaultVersion); it
    // replaces every task, healthy old ones included (core/deployment/impl/TaskReplaceActor.scala).
    const version = opts.rollbackVersion === 'startup' ? STARTUP : now();
    if (before) {
      store(d.appId, version, before);
      const r = deploy(d.appId, before, version);
      app.tasks = [];
      return sendJson(res, 200, { deploymentId: r.id, version });
    }
    sendJson(res, 200, { deploymentId: randomUUID(), version });
  }

  server.handle((req: Recorded, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    if (p === '/v2/events') {
      res.writeHead(405, { 'content-type': 'text/html' });
      return res.end('<html>no</html>');
    }
    if (p === '/v2/deployments' && req.method === 'GET') {
      for (const d of deployments) if (d.pollsLeft === 0) d.finish();
      deployments = deployments.filter((d) => d.pollsLeft !== 0);
      for (const d of deployments) if (d.pollsLeft > 0) d.pollsLeft--;
      return sendJson(res, 200, deployments.map((d) => ({ id: d.id, version: d.version, affectedApps: [d.appId], steps: [], currentActions: [], currentStep: 1, totalSteps: 1 })));
    }
    if (p.startsWith('/v2/deployments/') && req.method === 'DELETE') return cancel(decodeURIComponent(p.slice('/v2/deployments/'.length)), res);
    const m = /^\/v2\/apps(\/.+?)(\/versions(?:\/(.+))?)?$/.exec(p);
    if (!m) return sendJson(res, 404, { message: `no route ${p}` });
    const id = m[1]!;
    if (req.method === 'PUT') return put(id, JSON.parse(req.body) as Def, res);
    const app = apps.get(id);
    if (!app) return sendJson(res, 404, { message: `App '${id}' does not exist` });
    if (m[2] && m[3]) {
      const def = versions.get(id)?.get(decodeURIComponent(m[3]));
      return def ? sendJson(res, 200, def) : sendJson(res, 404, { message: `App '${id}' does not exist in version ${m[3]}` });
    }
    if (m[2]) return sendJson(res, 200, { versions: [...(versions.get(id)?.keys() ?? [])].reverse() });
    return sendJson(res, 200, { app: appJson(app) });
  });

  return {
    url: server.url,
    server,
    apps,
    versions,
    started,
    landThen503: (n) => {
      land503 = n;
    },
    store409Once: () => {
      refuse409 = true;
    },
    close: () => server.close(),
  };
}
