/**
 * Turns a request body into a ResolvedApp the way Marathon 1.10 does: first a typed read
 * (play-json: 422 "Invalid JSON" with error.* codes), then the legacy (pre-1.5) forms are migrated,
 * defaults filled in, and the semantic validation runs (422 "Object is not valid"). Every problem
 * is collected, each with Marathon's path syntax: `/container/portMappings(0)/hostPort`.
 * Pure: no I/O, no clock (the version is stamped by the engine).
 */
import type { Network, Protocol } from '../marathon/types.js';
import type { ResolvedApp, ResolvedHealthCheck, ResolvedPortDefinition, ResolvedPortMapping } from './app.js';
import { canonicalId, idProblems, RAML_PATH_ID } from './ids.js';

export interface Detail {
  path: string;
  errors: string[];
}

export type Rejection = { status: 422; body: { message: string; details: Detail[] } };
export type Resolution = { ok: true; app: ResolvedApp } | ({ ok: false } & Rejection);

type Json = Record<string, unknown>;

class Problems {
  readonly details: Detail[] = [];
  add(path: string, error: string): void {
    const existing = this.details.find((d) => d.path === path);
    if (existing) existing.errors.push(error);
    else this.details.push({ path, errors: [error] });
  }
  get empty(): boolean {
    return this.details.length === 0;
  }
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/* ---------- 1. typed read (play-json error codes) ---------- */

type Kind = 'string' | 'number' | 'int' | 'boolean' | 'object' | 'array' | 'stringArray' | 'stringMap';

function expect(p: Problems, path: string, v: unknown, kind: Kind): boolean {
  const bad = (code: string) => (p.add(path, code), false);
  switch (kind) {
    case 'string':
      return typeof v === 'string' || bad('error.expected.jsstring');
    case 'number':
      return (typeof v === 'number' && Number.isFinite(v)) || bad('error.expected.jsnumber');
    case 'int':
      if (typeof v !== 'number') return bad('error.expected.jsnumber');
      return Number.isInteger(v) || bad('error.expected.int');
    case 'boolean':
      return typeof v === 'boolean' || bad('error.expected.jsboolean');
    case 'object':
      return isObject(v) || bad('error.expected.jsobject');
    case 'array':
      return Array.isArray(v) || bad('error.expected.jsarray');
    case 'stringArray':
      if (!Array.isArray(v)) return bad('error.expected.jsarray');
      v.forEach((x, i) => expect(p, `${path}(${i})`, x, 'string'));
      return true;
    case 'stringMap':
      if (!isObject(v)) return bad('error.expected.jsobject');
      for (const [k, x] of Object.entries(v)) expect(p, `${path}/${k}`, x, 'string');
      return true;
  }
}

const TOP: Record<string, Kind> = {
  id: 'string',
  cmd: 'string',
  args: 'stringArray',
  instances: 'int',
  cpus: 'number',
  mem: 'number',
  disk: 'number',
  gpus: 'int',
  env: 'object',
  labels: 'stringMap',
  constraints: 'array',
  container: 'object',
  networks: 'array',
  portDefinitions: 'array',
  ports: 'array',
  requirePorts: 'boolean',
  healthChecks: 'array',
  upgradeStrategy: 'object',
  backoffSeconds: 'number',
  backoffFactor: 'number',
  maxLaunchDelaySeconds: 'number',
  fetch: 'array',
  uris: 'stringArray',
  user: 'string',
  dependencies: 'stringArray',
  killSelection: 'string',
  version: 'string',
  executor: 'string',
  role: 'string',
  acceptedResourceRoles: 'stringArray',
  secrets: 'object',
  readinessChecks: 'array',
  unreachableStrategy: 'object',
  tty: 'boolean',
  taskKillGracePeriodSeconds: 'int',
};

function readTyped(body: Json, p: Problems): void {
  for (const [field, kind] of Object.entries(TOP)) {
    const v = body[field];
    // null means "not given" for the optional object fields Marathon serializes as null
    if (v === undefined || (v === null && (field === 'container' || field === 'cmd' || field === 'args' || field === 'user'))) continue;
    expect(p, `/${field}`, v, kind);
  }
  if (typeof body.id === 'string' && !RAML_PATH_ID.test(body.id)) p.add('/id', 'error.pattern');
  if (typeof body.cmd === 'string' && body.cmd.length < 1) p.add('/cmd', 'error.minLength');
  if (typeof body.killSelection === 'string' && !['YOUNGEST_FIRST', 'OLDEST_FIRST'].includes(body.killSelection))
    p.add('/killSelection', 'error.expected.validenumvalue');
  if (isObject(body.env))
    for (const [k, v] of Object.entries(body.env))
      if (typeof v !== 'string' && !(isObject(v) && typeof v.secret === 'string')) p.add(`/env/${k}`, 'error.expected.jsstring');
  if (Array.isArray(body.constraints))
    body.constraints.forEach((c, i) => expect(p, `/constraints(${i})`, c, 'stringArray'));
  if (Array.isArray(body.ports)) body.ports.forEach((x, i) => expect(p, `/ports(${i})`, x, 'int'));
  if (Array.isArray(body.portDefinitions))
    body.portDefinitions.forEach((d, i) => {
      const at = `/portDefinitions(${i})`;
      if (!expect(p, at, d, 'object')) return;
      const pd = d as Json;
      if (pd.port !== undefined) expect(p, `${at}/port`, pd.port, 'int');
      if (pd.protocol !== undefined) expect(p, `${at}/protocol`, pd.protocol, 'string');
      if (pd.name !== undefined) expect(p, `${at}/name`, pd.name, 'string');
      if (pd.labels !== undefined) expect(p, `${at}/labels`, pd.labels, 'stringMap');
    });
  if (Array.isArray(body.networks))
    body.networks.forEach((n, i) => {
      const at = `/networks(${i})`;
      if (!expect(p, at, n, 'object')) return;
      const nw = n as Json;
      if (nw.mode !== undefined && expect(p, `${at}/mode`, nw.mode, 'string') && !['host', 'container/bridge', 'container'].includes(nw.mode as string))
        p.add(`${at}/mode`, 'error.expected.validenumvalue');
      if (nw.name !== undefined) expect(p, `${at}/name`, nw.name, 'string');
    });
  if (isObject(body.container)) readContainer(body.container, p);
  if (Array.isArray(body.healthChecks))
    body.healthChecks.forEach((h, i) => {
      const at = `/healthChecks(${i})`;
      if (!expect(p, at, h, 'object')) return;
      const hc = h as Json;
      const kinds: Record<string, Kind> = {
        protocol: 'string', path: 'string', portIndex: 'int', port: 'int', gracePeriodSeconds: 'int',
        intervalSeconds: 'int', timeoutSeconds: 'int', maxConsecutiveFailures: 'int', delaySeconds: 'int',
        ignoreHttp1xx: 'boolean', ipProtocol: 'string', command: 'object',
      };
      for (const [k, kind] of Object.entries(kinds)) if (hc[k] !== undefined && hc[k] !== null) expect(p, `${at}/${k}`, hc[k], kind);
      if (typeof hc.protocol === 'string' && !HEALTH_PROTOCOLS.includes(hc.protocol)) p.add(`${at}/protocol`, 'error.expected.validenumvalue');
      if (typeof hc.ipProtocol === 'string' && !['IPv4', 'IPv6'].includes(hc.ipProtocol)) p.add(`${at}/ipProtocol`, 'error.expected.validenumvalue');
    });
  if (isObject(body.upgradeStrategy)) {
    const u = body.upgradeStrategy;
    if (u.minimumHealthCapacity !== undefined) expect(p, '/upgradeStrategy/minimumHealthCapacity', u.minimumHealthCapacity, 'number');
    if (u.maximumOverCapacity !== undefined) expect(p, '/upgradeStrategy/maximumOverCapacity', u.maximumOverCapacity, 'number');
  }
  if (Array.isArray(body.fetch))
    body.fetch.forEach((f, i) => {
      if (expect(p, `/fetch(${i})`, f, 'object')) expect(p, `/fetch(${i})/uri`, (f as Json).uri, 'string');
    });
}

const HEALTH_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP'];

function readPortMappings(list: unknown, at: string, p: Problems): void {
  if (!expect(p, at, list, 'array')) return;
  (list as unknown[]).forEach((m, i) => {
    const mp = `${at}(${i})`;
    if (!expect(p, mp, m, 'object')) return;
    const pm = m as Json;
    for (const k of ['containerPort', 'hostPort', 'servicePort'])
      if (pm[k] !== undefined && pm[k] !== null) expect(p, `${mp}/${k}`, pm[k], 'int');
    if (pm.protocol !== undefined) expect(p, `${mp}/protocol`, pm.protocol, 'string');
    if (pm.name !== undefined) expect(p, `${mp}/name`, pm.name, 'string');
    if (pm.labels !== undefined) expect(p, `${mp}/labels`, pm.labels, 'stringMap');
    if (pm.networkNames !== undefined) expect(p, `${mp}/networkNames`, pm.networkNames, 'stringArray');
  });
}

function readContainer(c: Json, p: Problems): void {
  if (c.type !== undefined && expect(p, '/container/type', c.type, 'string') && !['DOCKER', 'MESOS'].includes(c.type as string))
    p.add('/container/type', 'error.expected.validenumvalue');
  if (c.portMappings !== undefined && c.portMappings !== null) readPortMappings(c.portMappings, '/container/portMappings', p);
  if (c.volumes !== undefined) expect(p, '/container/volumes', c.volumes, 'array');
  if (c.docker !== undefined && c.docker !== null && expect(p, '/container/docker', c.docker, 'object')) {
    const d = c.docker as Json;
    if (d.image !== undefined) expect(p, '/container/docker/image', d.image, 'string');
    if (d.forcePullImage !== undefined) expect(p, '/container/docker/forcePullImage', d.forcePullImage, 'boolean');
    if (d.privileged !== undefined) expect(p, '/container/docker/privileged', d.privileged, 'boolean');
    if (d.parameters !== undefined && expect(p, '/container/docker/parameters', d.parameters, 'array'))
      (d.parameters as unknown[]).forEach((x, i) => {
        const at = `/container/docker/parameters(${i})`;
        if (expect(p, at, x, 'object')) {
          expect(p, `${at}/key`, (x as Json).key, 'string');
          expect(p, `${at}/value`, (x as Json).value, 'string');
        }
      });
    if (d.network !== undefined && expect(p, '/container/docker/network', d.network, 'string') && !['BRIDGE', 'HOST', 'USER', 'NONE'].includes(d.network as string))
      p.add('/container/docker/network', 'error.expected.validenumvalue');
    if (d.portMappings !== undefined && d.portMappings !== null) readPortMappings(d.portMappings, '/container/docker/portMappings', p);
  }
}

/* ---------- 2. merge, migrate, default ---------- */

export interface ResolveOptions {
  /** Canonical id from the URL (PUT) or body (POST). */
  id: string;
  /** The current definition when updating; with `partial` its fields are the base. */
  previous?: ResolvedApp;
  partial?: boolean;
}

export const DEFINITION_FIELDS_RUNTIME = ['version', 'versionInfo', 'tasksStaged', 'tasksRunning', 'tasksHealthy', 'tasksUnhealthy', 'deployments', 'tasks', 'lastTaskFailure', 'taskStats', 'readinessCheckResults'];

export function resolveApp(raw: unknown, options: ResolveOptions): Resolution {
  const typed = new Problems();
  if (!isObject(raw)) {
    typed.add('/', 'error.expected.jsobject');
    return reject('Invalid JSON', typed);
  }
  readTyped(raw, typed);
  if (!typed.empty) return reject('Invalid JSON', typed);

  const semantic = new Problems();
  const body: Json = { ...raw };
  delete body.version;
  const dockerJson = isObject(body.container) && isObject(body.container.docker) ? body.container.docker : undefined;
  if (body.uris !== undefined && body.fetch !== undefined) semantic.add('/', 'You cannot specify both uris and fetch fields');
  // AppNormalization.scala NetworkTranslation: a docker network type NONE has no 1.5 form and is
  // refused ("unsupported docker network type"), with or without port mappings.
  if (dockerJson?.network === 'NONE') semantic.add('/container/docker/network', 'unsupported docker network type NONE: use networks [{"mode":"host"}] or [{"mode":"container/bridge"}]');
  if (dockerJson && dockerJson.network !== undefined && body.networks !== undefined)
    semantic.add('/', 'container.docker.network may not be combined with networks: use networks only (Marathon 1.5+)');

  let merged: Json = body;
  if (options.previous && options.partial !== false) {
    const base: Json = { ...options.previous };
    for (const k of DEFINITION_FIELDS_RUNTIME) delete base[k];
    // A legacy field in the update replaces its 1.5 counterpart rather than conflicting with it.
    if (dockerJson?.network !== undefined && body.networks === undefined) delete base.networks;
    if (body.ports !== undefined && body.portDefinitions === undefined) delete base.portDefinitions;
    if (body.uris !== undefined && body.fetch === undefined) delete base.fetch;
    if (body.cmd !== undefined && body.cmd !== null) delete base.args;
    if (body.args !== undefined && body.args !== null) delete base.cmd;
    merged = { ...base, ...body };
  }
  merged.id = options.id;

  const app = applyDefaults(merged, semantic);
  validate(app, merged, semantic);
  if (!semantic.empty) return reject('Object is not valid', semantic);
  return { ok: true, app };
}

function reject(message: string, p: Problems): { ok: false } & Rejection {
  return { ok: false, status: 422, body: { message, details: p.details } };
}

function num(v: unknown, d: number): number {
  return typeof v === 'number' ? v : d;
}

const LEGACY_NETWORK: Record<string, Network['mode']> = { BRIDGE: 'container/bridge', HOST: 'host', USER: 'container', NONE: 'container' };

function applyDefaults(b: Json, p: Problems): ResolvedApp {
  const container = isObject(b.container) ? b.container : undefined;
  const docker = container && isObject(container.docker) ? container.docker : undefined;
  let networks: ResolvedApp['networks'];
  if (Array.isArray(b.networks) && b.networks.length > 0) {
    networks = (b.networks as Json[]).map((n) => {
      // the typed read admitted only Marathon's modes
      const out: ResolvedApp['networks'][number] = { mode: typeof n.mode === 'string' ? (n.mode as Network['mode']) : 'container' };
      if (typeof n.name === 'string') out.name = n.name;
      if (isObject(n.labels)) out.labels = n.labels as Record<string, string>;
      return out;
    });
  } else if (typeof docker?.network === 'string') {
    networks = [{ mode: LEGACY_NETWORK[docker.network] ?? 'host' }];
  } else {
    networks = [{ mode: 'host' }];
  }
  const hostMode = networks[0]?.mode === 'host';
  const bridge = networks[0]?.mode === 'container/bridge';

  const app: ResolvedApp = {
    id: b.id as string,
    backoffFactor: num(b.backoffFactor, 1.15),
    backoffSeconds: num(b.backoffSeconds, 1),
    cpus: num(b.cpus, 1),
    disk: num(b.disk, 0),
    executor: typeof b.executor === 'string' ? b.executor : '',
    instances: num(b.instances, 1),
    labels: isObject(b.labels) ? (b.labels as Record<string, string>) : {},
    maxLaunchDelaySeconds: num(b.maxLaunchDelaySeconds, 300),
    mem: num(b.mem, 128),
    gpus: num(b.gpus, 0),
    networks,
    requirePorts: b.requirePorts === true,
    healthChecks: [],
    upgradeStrategy: {
      maximumOverCapacity: num(isObject(b.upgradeStrategy) ? b.upgradeStrategy.maximumOverCapacity : undefined, 1),
      minimumHealthCapacity: num(isObject(b.upgradeStrategy) ? b.upgradeStrategy.minimumHealthCapacity : undefined, 1),
    },
    version: '',
    versionInfo: { lastScalingAt: '', lastConfigChangeAt: '' },
    killSelection: b.killSelection === 'OLDEST_FIRST' ? 'OLDEST_FIRST' : 'YOUNGEST_FIRST',
    unreachableStrategy: isObject(b.unreachableStrategy)
      ? {
          inactiveAfterSeconds: num(b.unreachableStrategy.inactiveAfterSeconds, 0),
          expungeAfterSeconds: num(b.unreachableStrategy.expungeAfterSeconds, 0),
        }
      : { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    role: typeof b.role === 'string' ? b.role : '*',
  };
  if (typeof b.cmd === 'string') app.cmd = b.cmd;
  if (Array.isArray(b.args)) app.args = b.args as string[];
  if (typeof b.user === 'string') app.user = b.user;
  if (typeof b.taskKillGracePeriodSeconds === 'number') app.taskKillGracePeriodSeconds = b.taskKillGracePeriodSeconds;
  // the typed read allowed only strings and {secret} objects
  if (isObject(b.env) && Object.keys(b.env).length > 0) app.env = b.env as NonNullable<ResolvedApp['env']>;
  if (Array.isArray(b.constraints) && b.constraints.length > 0) app.constraints = b.constraints as string[][];
  if (Array.isArray(b.dependencies) && b.dependencies.length > 0) app.dependencies = (b.dependencies as string[]).map(canonicalId);
  const fetch = Array.isArray(b.fetch)
    ? (b.fetch as ResolvedApp['fetch'])
    : Array.isArray(b.uris)
      ? (b.uris as string[]).map((uri) => ({ uri, extract: true, executable: false, cache: false }))
      : undefined;
  if (fetch && fetch.length > 0) app.fetch = fetch;

  if (container) {
    const mappingsJson = Array.isArray(container.portMappings)
      ? container.portMappings
      : Array.isArray(docker?.portMappings)
        ? docker.portMappings
        : undefined;
    const out: NonNullable<ResolvedApp['container']> = {
      type: container.type === 'MESOS' ? 'MESOS' : 'DOCKER',
      volumes: Array.isArray(container.volumes) ? container.volumes : [],
    };
    if (docker)
      out.docker = {
        forcePullImage: docker.forcePullImage === true,
        image: typeof docker.image === 'string' ? docker.image : '',
        parameters: Array.isArray(docker.parameters) ? (docker.parameters as { key: string; value: string }[]) : [],
        privileged: docker.privileged === true,
      };
    if (!hostMode) {
      out.portMappings = ((mappingsJson ?? []) as Json[]).map((m) => {
        const pm: ResolvedPortMapping = {
          containerPort: num(m.containerPort, 0),
          servicePort: num(m.servicePort, 0),
          protocol: typeof m.protocol === 'string' ? (m.protocol as Protocol) : 'tcp', // checked by validate()
          labels: isObject(m.labels) ? (m.labels as Record<string, string>) : {},
        };
        if (typeof m.hostPort === 'number') pm.hostPort = m.hostPort;
        else if (bridge) pm.hostPort = 0;
        if (typeof m.name === 'string') pm.name = m.name;
        return { containerPort: pm.containerPort, hostPort: pm.hostPort, labels: pm.labels, ...(pm.name !== undefined ? { name: pm.name } : {}), protocol: pm.protocol, servicePort: pm.servicePort };
      });
      for (const pm of out.portMappings) if (pm.hostPort === undefined) delete pm.hostPort;
    }
    app.container = out;
  } else if (Array.isArray(b.networks) && !hostMode) {
    p.add('/container', 'must not be empty: container networking needs a DOCKER container');
  }

  if (hostMode) {
    let defs: ResolvedPortDefinition[];
    if (Array.isArray(b.portDefinitions))
      defs = (b.portDefinitions as Json[]).map((d) => {
        const pd: ResolvedPortDefinition = { port: num(d.port, 0), protocol: typeof d.protocol === 'string' ? (d.protocol as Protocol) : 'tcp', labels: isObject(d.labels) ? (d.labels as Record<string, string>) : {} };
        if (typeof d.name === 'string') pd.name = d.name;
        return pd;
      });
    else if (Array.isArray(b.ports)) defs = (b.ports as number[]).map((port) => ({ port, protocol: 'tcp', labels: {} }));
    else defs = [{ port: 0, protocol: 'tcp', name: 'default', labels: {} }];
    app.portDefinitions = defs;
  }

  if (Array.isArray(b.healthChecks)) app.healthChecks = (b.healthChecks as Json[]).map(resolveHealthCheck);
  // Unknown fields are ignored, as Marathon's readers do: they are neither stored nor returned.
  for (const k of ['secrets', 'readinessChecks', 'acceptedResourceRoles', 'tty'])
    if (b[k] !== undefined) app[k] = b[k];
  return app;
}

function resolveHealthCheck(h: Json): ResolvedHealthCheck {
  const protocol = (typeof h.protocol === 'string' ? h.protocol : 'HTTP') as ResolvedHealthCheck['protocol'];
  const http = protocol === 'HTTP' || protocol === 'HTTPS' || protocol === 'MESOS_HTTP' || protocol === 'MESOS_HTTPS';
  const hc: ResolvedHealthCheck = {
    gracePeriodSeconds: num(h.gracePeriodSeconds, 300),
    intervalSeconds: num(h.intervalSeconds, 60),
    maxConsecutiveFailures: num(h.maxConsecutiveFailures, 3),
    protocol,
    timeoutSeconds: num(h.timeoutSeconds, 20),
    delaySeconds: num(h.delaySeconds, 15),
  };
  if (http) hc.path = typeof h.path === 'string' ? h.path : '/';
  if (protocol === 'HTTP' || protocol === 'HTTPS') hc.ignoreHttp1xx = h.ignoreHttp1xx === true;
  if (typeof h.port === 'number') hc.port = h.port;
  else if (protocol !== 'COMMAND') hc.portIndex = num(h.portIndex, 0);
  hc.ipProtocol = h.ipProtocol === 'IPv6' ? 'IPv6' : 'IPv4';
  if (isObject(h.command)) hc.command = h.command as { value: string };
  return hc;
}

/* ---------- 3. semantic validation ---------- */

const OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS', 'IN'];

function validate(app: ResolvedApp, body: Json, p: Problems): void {
  for (const e of idProblems(app.id)) p.add('/id', e);
  const hasCmd = app.cmd !== undefined;
  const hasArgs = app.args !== undefined && app.args.length > 0;
  if (!hasCmd && !hasArgs && !app.container) p.add('/', "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  if (hasCmd && hasArgs) p.add('/', "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  const nonNegative = (path: string, v: number) => {
    if (v < 0) p.add(path, `got ${v}, expected 0 or more`);
  };
  nonNegative('/cpus', app.cpus);
  nonNegative('/mem', app.mem);
  nonNegative('/disk', app.disk);
  nonNegative('/gpus', app.gpus);
  nonNegative('/instances', app.instances);
  if (app.taskKillGracePeriodSeconds !== undefined) nonNegative('/taskKillGracePeriodSeconds', app.taskKillGracePeriodSeconds);
  if (app.backoffSeconds < 0) p.add('/backoffSeconds', `got ${app.backoffSeconds}, expected 0 or more`);
  if (app.backoffFactor < 1) p.add('/backoffFactor', `got ${app.backoffFactor}, expected 1.0 or more`);
  const unit = (path: string, v: number) => {
    if (v > 1) p.add(path, 'is greater than 1');
    if (v < 0) p.add(path, 'is less than 0');
  };
  unit('/upgradeStrategy/minimumHealthCapacity', app.upgradeStrategy.minimumHealthCapacity);
  unit('/upgradeStrategy/maximumOverCapacity', app.upgradeStrategy.maximumOverCapacity);

  if (app.container?.type === 'DOCKER') {
    if (!app.container.docker) p.add('/container/docker', 'not defined');
    else if (app.container.docker.image.trim() === '') p.add('/container/docker/image', 'must not be empty');
  }

  const modes = app.networks.map((n) => n.mode);
  if (modes.includes('host') && modes.length > 1) p.add('/networks', 'host networks may not have more than one network defined');
  if (modes.includes('container/bridge') && modes.length > 1) p.add('/networks', 'bridge networks may not have more than one network defined');
  app.networks.forEach((n, i) => {
    if (n.mode === 'container') p.add(`/networks(${i})/mode`, 'bbm devcluster supports host and container/bridge networking only');
  });
    if (app.container?.type === 'MESOS' || (app.container && !app.container.docker))
    p.add('/container', 'bbm devcluster runs DOCKER containers only (container.docker.image)');

  const portRange = (path: string, v: number | undefined) => {
    if (v !== undefined && (v < 0 || v > 65535)) p.add(path, `got ${v}, expected between 0 and 65535`);
  };
  const protocolOk = (path: string, v: string) => {
    if (!['tcp', 'udp', 'udp,tcp', 'tcp,udp'].includes(v)) p.add(path, "Invalid protocol. Only 'udp', 'tcp' and 'udp,tcp' are allowed.");
  };
  (app.container?.portMappings ?? []).forEach((m, i) => {
    const at = `/container/portMappings(${i})`;
    portRange(`${at}/containerPort`, m.containerPort);
    portRange(`${at}/hostPort`, m.hostPort);
    portRange(`${at}/servicePort`, m.servicePort);
    protocolOk(`${at}/protocol`, m.protocol);
    if (m.name !== undefined && !/^[a-z0-9-]+$/.test(m.name)) p.add(`${at}/name`, "must fully match regular expression '^[a-z0-9-]+$'");
  });
  uniqueNames(p, '/container/portMappings', app.container?.portMappings ?? []);
  (app.portDefinitions ?? []).forEach((d, i) => {
    portRange(`/portDefinitions(${i})/port`, d.port);
    protocolOk(`/portDefinitions(${i})/protocol`, d.protocol);
  });
  uniqueNames(p, '/portDefinitions', app.portDefinitions ?? []);
  const fixed = (app.portDefinitions ?? []).map((d) => d.port).filter((x) => x !== 0);
  if (new Set(fixed).size !== fixed.length) p.add('/portDefinitions', 'Ports must be unique.');

  const portCount = app.portDefinitions?.length ?? app.container?.portMappings?.length ?? 0;
  const mesosChecks = app.healthChecks.filter((h) => h.protocol.startsWith('MESOS_') || h.protocol === 'COMMAND');
  if (mesosChecks.length > 1) p.add('/healthChecks', 'AppDefinition can only have one Mesos health check');
  if (mesosChecks.length > 0 && mesosChecks.length < app.healthChecks.length)
    p.add('/healthChecks', 'AppDefinition cannot mix Mesos and Marathon health checks');
  app.healthChecks.forEach((h, i) => {
    const at = `/healthChecks(${i})`;
    if (h.portIndex !== undefined && (h.portIndex < 0 || h.portIndex >= portCount))
      p.add(at, 'Health check port indices must address an element of the ports array or container port mappings.');
    if (h.port !== undefined) portRange(`${at}/port`, h.port);
    if (h.gracePeriodSeconds < 0) p.add(`${at}/gracePeriodSeconds`, `got ${h.gracePeriodSeconds}, expected 0 or more`);
    if (h.intervalSeconds < 1) p.add(`${at}/intervalSeconds`, `got ${h.intervalSeconds}, expected 1 or more`);
    if (h.timeoutSeconds < 1) p.add(`${at}/timeoutSeconds`, `got ${h.timeoutSeconds}, expected 1 or more`);
    if (h.delaySeconds < 0) p.add(`${at}/delaySeconds`, `got ${h.delaySeconds}, expected 0 or more`);
    if (h.maxConsecutiveFailures < 0) p.add(`${at}/maxConsecutiveFailures`, `got ${h.maxConsecutiveFailures}, expected 0 or more`);
    if (h.protocol === 'COMMAND') {
      if (!h.command || typeof h.command.value !== 'string') p.add(`${at}/command`, 'not defined');
      p.add(`${at}/protocol`, 'bbm devcluster does not run COMMAND health checks');
    }
    if (h.ipProtocol === 'IPv6' && !h.protocol.startsWith('MESOS_')) p.add(`${at}/ipProtocol`, 'IPv6 can only be used for MESOS_ health checks');
  });

  (app.constraints ?? []).forEach((c, i) => {
    const at = `/constraints(${i})`;
    if (c.length < 2 || c.length > 3) {
      p.add(at, 'Each constraint must have either 2 or 3 fields');
      return;
    }
    const [, op, value] = c;
    if (!op || !OPERATORS.includes(op)) {
      p.add(at, `Constraint operator must be one of the following: [${OPERATORS.join(', ')}]`);
      return;
    }
    if (op === 'UNIQUE' && value !== undefined) p.add(at, 'A UNIQUE constraint may not have a value');
    if ((op === 'LIKE' || op === 'UNLIKE') && value === undefined) p.add(at, `A ${op} constraint must have a value`);
    if ((op === 'LIKE' || op === 'UNLIKE') && value !== undefined) {
      try {
        new RegExp(value);
      } catch {
        p.add(at, `'${value}' is not a valid regular expression`);
      }
    }
    if (op === 'MAX_PER' && (value === undefined || !/^\d+$/.test(value))) p.add(at, 'MAX_PER must have an integer value');
    if (op === 'GROUP_BY' && value !== undefined && !/^\d+$/.test(value)) p.add(at, 'GROUP_BY value must be an integer');
  });

  if (isObject(body.env))
    for (const [k, v] of Object.entries(body.env)) if (isObject(v) && !(isObject(body.secrets) && (v.secret as string) in body.secrets)) p.add(`/env/${k}`, 'references an undefined secret');
  (app.dependencies ?? []).forEach((d, i) => {
    for (const e of idProblems(d)) p.add(`/dependencies(${i})`, e);
  });
}

function uniqueNames(p: Problems, path: string, items: { name?: string }[]): void {
  const names = items.map((i) => i.name).filter((n): n is string => n !== undefined);
  if (new Set(names).size !== names.length) p.add(path, 'Port names must be unique.');
}
