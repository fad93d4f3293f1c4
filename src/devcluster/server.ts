/**
 * The devcluster's HTTP face: Marathon's /v2 routes, status codes, headers and error bodies
 * (mesosphere/marathon src/main/scala/mesosphere/marathon/api/v2/AppsResource.scala,
 * DeploymentsResource.scala, TasksResource.scala, core/event/impl/stream/HttpEventStreamServlet.scala,
 * api/MarathonExceptionMapper.scala) on top of the Engine. Routing and body parsing only; behaviour lives in
 * the engine.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppInfo, MarathonEvent, Task } from '../marathon/types.js';
import type { Engine } from './engine.js';
import { HttpError } from './http-error.js';
import { isoNow, SSE_HEARTBEAT, sseFrame } from './events.js';
import type { GuardOptions } from './guard.js';
import { refusal } from './guard.js';
import { resolveApp } from './normalize.js';
import { endpointsText } from './tasks-text.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerInfo {
  name: string;
  version: string;
  hostPort: () => string;
  hostPortRange: [number, number];
  servicePortRange: [number, number];
  heartbeatMs: number;
  /** This engine's state id (in /v2/info, so a second engine can tell this one is alive). */
  stateId: () => string;
  /** Who may call (Host, Origin, credentials, content type); read per request (the port is known after binding). */
  guard: () => GuardOptions;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export function createHandler(engine: Engine, info: ServerInfo, streams: Set<ServerResponse>): Handler {
  return async (req, res, url) => {
    res.setHeader('X-Marathon-Leader', `http://${info.hostPort()}`);
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const refused = refusal(
      {
        method: req.method ?? 'GET',
        host: header('host'),
        origin: header('origin'),
        contentType: header('content-type'),
        hasBody: Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined,
        authorization: header('authorization'),
      },
      info.guard(),
    );
    if (refused) {
      req.resume(); // drain a refused body so the connection stays usable
      if (refused.html !== undefined) {
        res.writeHead(refused.status, { 'Content-Type': 'text/html;charset=utf-8', 'Content-Length': Buffer.byteLength(refused.html), ...refused.headers });
        res.end(refused.html);
        return;
      }
      return sendJson(res, refused.status, refused.body, refused.headers);
    }
    try {
      await route(engine, info, streams, req, res, url);
    } catch (e) {
      if (e instanceof HttpError) return sendJson(res, e.status, e.body);
      sendJson(res, 500, { message: `bbm devcluster internal error: ${(e as Error).message}` });
    }
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** A body already serialised (the app list, put together from cached task JSON). */
function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function flag(url: URL, name: string, dflt: boolean): boolean {
  const v = url.searchParams.get(name);
  if (v === null) return dflt;
  return v === '' || v.toLowerCase() === 'true';
}

/** Bodies past the limit are still drained (so the client reads the 413), up to this much. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

function readRaw(req: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) req.destroy();
    });
    req.once('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > MAX_BODY_BYTES }));
    req.once('error', reject);
  });
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const { text, tooLarge } = await readRaw(req);
  if (tooLarge) throw new HttpError(413, { message: `Request body is larger than ${MAX_BODY_BYTES} bytes` });
  if (text.trim() === '') throw new HttpError(400, { message: 'Please specify data in JSON format', details: 'The request body is empty' });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, { message: 'Invalid JSON', details: (e as Error).message });
  }
}

function methodNotAllowed(): never {
  throw new HttpError(405, { message: 'HTTP 405 Method Not Allowed' });
}

async function route(engine: Engine, info: ServerInfo, streams: Set<ServerResponse>, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const clientIp = req.socket.remoteAddress ?? '';
  const uri = url.pathname;

  if (path === '/ping') {
    if (method !== 'GET' && method !== 'HEAD') methodNotAllowed();
    return ping(req, res);
  }
  if (path === '/v2/info') {
    if (method !== 'GET') methodNotAllowed();
    return sendJson(res, 200, infoBody(engine, info));
  }
  if (path === '/v2/leader') {
    if (method !== 'GET') methodNotAllowed();
    return sendJson(res, 200, { leader: info.hostPort() });
  }
  if (path === '/v2/events') {
    if (method !== 'GET') methodNotAllowed();
    return events(engine, info, streams, req, res, url);
  }
  if (path === '/v2/deployments') {
    if (method !== 'GET') methodNotAllowed();
    return sendJson(res, 200, engine.deployments());
  }
  if (path.startsWith('/v2/deployments/')) {
    const id = decodeURIComponent(path.slice('/v2/deployments/'.length));
    if (method === 'GET') {
      const d = engine.deployments().find((x) => x.id === id);
      if (!d) throw new HttpError(404, { message: `DeploymentPlan ${id} does not exist` });
      return sendJson(res, 200, d);
    }
    if (method !== 'DELETE') methodNotAllowed();
    const rollback = await engine.cancelDeployment(id, flag(url, 'force', false));
    if (!rollback) {
      res.writeHead(202);
      res.end();
      return;
    }
    return sendJson(res, 200, { deploymentId: rollback.id, version: rollback.version }, { 'Marathon-Deployment-Id': rollback.id });
  }
  if (path === '/v2/queue') {
    if (method !== 'GET') methodNotAllowed();
    return sendJson(res, 200, { queue: engine.queue() });
  }
  if (path.startsWith('/v2/queue/') && path.endsWith('/delay')) {
    if (method !== 'DELETE') methodNotAllowed();
    engine.resetDelay(decodeURIComponent(path.slice('/v2/queue'.length, -'/delay'.length)));
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
    return;
  }
  if (path === '/v2/tasks/delete') {
    if (method !== 'POST') methodNotAllowed();
    const body = await readBody(req);
    const ids = (body as { ids?: unknown }).ids;
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string'))
      throw new HttpError(422, { message: 'Invalid JSON', details: [{ path: '/ids', errors: ['error.expected.jsarray'] }] });
    const byApp = new Map<string, string[]>();
    for (const id of ids as string[]) {
      const app = engine.appOfTask(id);
      byApp.set(app, [...(byApp.get(app) ?? []), id]);
    }
    const scale = flag(url, 'scale', false);
    const force = flag(url, 'force', false);
    const killed: Task[] = [];
    let last: { id: string; version: string } | undefined;
    for (const [app, taskIds] of byApp) {
      const r = await engine.killTasks(app, taskIds, scale, force);
      killed.push(...r.tasks);
      if (r.deployment) last = r.deployment;
    }
    if (scale && last) return sendJson(res, 200, { deploymentId: last.id, version: last.version }, { 'Marathon-Deployment-Id': last.id });
    return sendJson(res, 200, { tasks: killed });
  }
  if (path === '/v2/tasks') {
    if (method !== 'GET') methodNotAllowed();
    return tasks(engine, req, res, url);
  }
  if (path === '/v2/apps') {
    if (method === 'GET') return sendJsonText(res, 200, `{"apps":[${listApps(engine, url).join(',')}]}`);
    if (method === 'POST') {
      const body = await readBody(req);
      const given = body && typeof body === 'object' && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
      if (typeof given !== 'string') {
        // play-json: the typed read fails before any semantic check
        const typed = resolveApp(body, { id: '/' });
        if (!typed.ok && typed.body.message === 'Invalid JSON' && (given !== undefined || !(body && typeof body === 'object' && !Array.isArray(body))))
          throw new HttpError(422, typed.body);
        throw new HttpError(422, { message: 'Invalid JSON', details: [{ path: '/id', errors: ['error.path.missing'] }] });
      }
      const rawId = given;
      const r = await engine.upsert(rawId, body, { force: flag(url, 'force', false), partial: false, create: 'create-only', clientIp, uri });
      // The created deployment is in the answer even when it already finished (instances 0).
      const app = { ...engine.appInfo(r.app.id, { tasks: false, lastTaskFailure: false }), deployments: [{ id: r.deployment.id }] };
      return sendJson(res, 201, app, { Location: `/v2/apps${r.app.id}`, 'Marathon-Deployment-Id': r.deployment.id });
    }
    methodNotAllowed();
  }
  if (path.startsWith('/v2/apps/')) {
    const rest = decodeURIComponent(path.slice('/v2/apps'.length));
    let m: RegExpMatchArray | null;
    if ((m = rest.match(/^(.*)\/versions\/([^/]+)$/))) {
      if (method !== 'GET') methodNotAllowed();
      return sendJson(res, 200, engine.version(appId(m[1]), m[2] ?? ''));
    }
    if ((m = rest.match(/^(.*)\/versions$/))) {
      if (method !== 'GET') methodNotAllowed();
      return sendJson(res, 200, { versions: engine.versions(appId(m[1])) });
    }
    if ((m = rest.match(/^(.*)\/tasks\/([^/]+)$/))) {
      if (method !== 'DELETE') methodNotAllowed();
      const r = await engine.killTasks(m[1] ?? '', [m[2] ?? ''], flag(url, 'scale', false), flag(url, 'force', false));
      if (r.deployment) return sendJson(res, 200, { deploymentId: r.deployment.id, version: r.deployment.version }, { 'Marathon-Deployment-Id': r.deployment.id });
      return sendJson(res, 200, { task: r.tasks[0] });
    }
    if ((m = rest.match(/^(.*)\/tasks$/)) && method === 'DELETE') {
      const r = await engine.killTasks(m[1] ?? '', undefined, flag(url, 'scale', false), flag(url, 'force', false));
      if (r.deployment) return sendJson(res, 200, { deploymentId: r.deployment.id, version: r.deployment.version }, { 'Marathon-Deployment-Id': r.deployment.id });
      return sendJson(res, 200, { tasks: r.tasks });
    }
    if ((m = rest.match(/^(.*)\/tasks$/))) {
      if (method !== 'GET') methodNotAllowed();
      const id = appId(m[1]);
      if (wantsText(req.headers.accept)) {
        const one = engine.endpoints().filter((e) => e.id === id);
        if (one.length === 0) throw new HttpError(404, { message: `App '${id}' does not exist` });
        return sendText(res, endpointsText(one));
      }
      return sendJson(res, 200, { tasks: engine.appTasks(id) });
    }
    if ((m = rest.match(/^(.*)\/restart$/))) {
      if (method !== 'POST') methodNotAllowed();
      const d = await engine.restart(m[1] ?? '', flag(url, 'force', false));
      return sendJson(res, 200, { deploymentId: d.id, version: d.version }, { 'Marathon-Deployment-Id': d.id });
    }
    if (method === 'GET') {
      const id = appId(rest);
      if (!engine.hasApp(id)) throw new HttpError(404, { message: `App '${id}' does not exist` });
      return sendJson(res, 200, { app: engine.appInfo(id, { tasks: true, lastTaskFailure: true }) });
    }
    if (method === 'PUT') {
      const body = await readBody(req);
      const r = await engine.upsert(rest, body, {
        force: flag(url, 'force', false),
        partial: flag(url, 'partialUpdate', true),
        create: 'upsert',
        clientIp,
        uri,
      });
      const headers: Record<string, string> = { 'Marathon-Deployment-Id': r.deployment.id };
      if (r.created) headers.Location = `/v2/apps${r.app.id}`;
      return sendJson(res, r.created ? 201 : 200, { deploymentId: r.deployment.id, version: r.deployment.version }, headers);
    }
    if (method === 'PATCH') {
      const body = await readBody(req);
      const r = await engine.upsert(rest, body, { force: flag(url, 'force', false), partial: true, create: 'update-only', clientIp, uri });
      return sendJson(res, 200, { deploymentId: r.deployment.id, version: r.deployment.version }, { 'Marathon-Deployment-Id': r.deployment.id });
    }
    if (method === 'DELETE') {
      const d = await engine.deleteApp(rest, flag(url, 'force', true));
      return sendJson(res, 200, { deploymentId: d.id, version: d.version }, { 'Marathon-Deployment-Id': d.id });
    }
    methodNotAllowed();
  }
  throw new HttpError(404, { message: `No such resource: ${method} ${url.pathname} (bbm devcluster serves a subset of Marathon's /v2 API; see docs/devcluster.md)` });
}

function appId(raw: string | undefined): string {
  const s = (raw ?? '').replace(/^\/+/, '');
  return `/${s}`.replace(/\/+$/, '') || '/';
}

/** Each listed app as JSON text; the filters read only the definition, so the others are never built. */
function listApps(engine: Engine, url: URL): string[] {
  const embed = new Set(url.searchParams.getAll('embed'));
  const idFilter = url.searchParams.get('id')?.toLowerCase();
  const cmdFilter = url.searchParams.get('cmd');
  const label = url.searchParams.get('label');
  return engine
    .appIds()
    .filter((id) => {
      const a = engine.definition(id);
      return (
        (!idFilter || a.id.toLowerCase().includes(idFilter)) &&
        (!cmdFilter || (typeof a.cmd === 'string' && a.cmd.includes(cmdFilter))) &&
        (!label || matchesLabels(a.labels ?? {}, label))
      );
    })
    .map((id) => engine.appJson(id, { tasks: embed.has('apps.tasks'), lastTaskFailure: embed.has('apps.lastTaskFailure') }));
}

/** Marathon's label selector: `k`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, comma-separated. */
export function matchesLabels(labels: Record<string, string>, selector: string): boolean {
  const parts = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return parts.every((raw) => {
    const p = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^(.+?)\s*==\s*(.*)$/))) return labels[m[1]!.trim()] === m[2]!.trim();
    if ((m = p.match(/^(.+?)\s*!=\s*(.*)$/))) return labels[m[1]!.trim()] !== m[2]!.trim();
    if ((m = p.match(/^(.+?)\s+notin\s*\((.*)\)$/))) return !m[2]!.split(',').map((s) => s.trim()).includes(labels[m[1]!.trim()] ?? '\u0000');
    if ((m = p.match(/^(.+?)\s+in\s*\((.*)\)$/))) return m[2]!.split(',').map((s) => s.trim()).includes(labels[m[1]!.trim()] ?? '\u0000');
    return p === '' || p in labels;
  });
}

/** text/plain has a low server-side quality in Marathon: JSON wins whenever the client accepts it too. */
export function wantsText(accept: string | undefined): boolean {
  const types = (accept ?? '').toLowerCase().split(',').map((t) => t.split(';')[0]!.trim());
  const json = types.some((t) => t === 'application/json' || t === 'application/*' || t === '*/*');
  return !json && types.some((t) => t === 'text/plain' || t === 'text/*');
}

function sendText(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function tasks(engine: Engine, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (wantsText(req.headers.accept)) return sendText(res, endpointsText(engine.endpoints()));
  const wanted = [...url.searchParams.getAll('status'), ...url.searchParams.getAll('status[]')].map((s) => s.toLowerCase());
  sendJson(res, 200, { tasks: engine.allTasks(wanted.length > 0 ? new Set(wanted) : undefined) });
}

function ping(req: IncomingMessage, res: ServerResponse): void {
  const accept = (req.headers.accept ?? '*/*').toLowerCase();
  const types = accept.split(',').map((s) => s.split(';')[0]!.trim());
  if (types.some((t) => t === 'text/plain' || t === 'text/*' || t === '*/*' || t === '')) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'must-revalidate,no-cache,no-store', 'Content-Length': 4 });
    res.end('pong');
  } else if (types.includes('application/json') || types.includes('application/*')) {
    sendJson(res, 200, 'pong');
  } else {
    res.writeHead(204);
    res.end();
  }
}

function infoBody(engine: Engine, info: ServerInfo): Record<string, unknown> {
  const [host, port] = info.hostPort().split(/:(?=\d+$)/);
  return {
    name: 'bbm devcluster',
    version: info.version,
    buildref: 'bbm-devcluster',
    elected: true,
    leader: info.hostPort(),
    frameworkId: engine.agentId.replace(/-S0$/, '-0000'),
    marathon_config: {
      description: 'bbm devcluster: a single-machine engine that speaks a subset of the Marathon /v2 API and runs tasks as local Docker containers. It is not Marathon.',
      name: info.name,
      hostname: host,
      features: [],
      local_port_min: info.servicePortRange[0],
      local_port_max: info.servicePortRange[1],
      host_port_min: info.hostPortRange[0],
      host_port_max: info.hostPortRange[1],
      master: 'none (tasks are local Docker containers)',
      framework_name: 'bbm-devcluster',
      ha: false,
      webui_url: `http://${info.hostPort()}`,
      bbm_devcluster_state: info.stateId(),
    },
    zookeeper_config: {},
    http_config: { http_port: Number(port) },
  };
}

const SSE_405 =
  '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error 405 HTTP method GET is not supported by this URL</title>\n</head>\n<body><h2>HTTP ERROR 405</h2>\n<p>Problem accessing /v2/events. Reason:\n<pre>    HTTP method GET is not supported by this URL</pre></p>\n</body>\n</html>\n';

function events(engine: Engine, info: ServerInfo, streams: Set<ServerResponse>, req: IncomingMessage, res: ServerResponse, url: URL): void {
  // Jetty's EventSourceServlet: some Accept header must be exactly text/event-stream.
  const accepts = req.headersDistinct.accept ?? [];
  if (!accepts.some((a) => a.trim() === 'text/event-stream')) {
    res.writeHead(405, { 'Content-Type': 'text/html;charset=utf-8', 'Content-Length': Buffer.byteLength(SSE_405) });
    res.end(SSE_405);
    return;
  }
  const filter = new Set(url.searchParams.getAll('event_type'));
  // Jetty answers with Connection: close and no chunking: the stream ends when the socket does.
  res.setHeader('Content-Type', 'text/event-stream;charset=utf-8');
  res.setHeader('Connection', 'close');
  res.setHeader('Cache-Control', 'no-cache');
  res.removeHeader('Transfer-Encoding');
  res.writeHead(200);
  res.flushHeaders();
  streams.add(res);
  const remoteAddress = req.socket.remoteAddress ?? '';
  const live = () => !res.writableEnded && !res.destroyed;
  res.on('error', () => undefined); // a client gone mid-write is not the engine's problem
  const send = (e: MarathonEvent) => {
    if (live() && (filter.size === 0 || filter.has(e.eventType))) res.write(sseFrame(e));
  };
  // As HttpEventStreamHandleActor.preStart: subscribe, then publish event_stream_attached on the
  // bus, so every stream whose event_type filter admits it sees it (this one included); and
  // event_stream_detached when it ends (postStop). mesosphere/marathon
  // src/main/scala/mesosphere/marathon/core/event/impl/stream/HttpEventStreamHandleActor.scala
  const unsubscribe = engine.subscribe(send);
  engine.publish('event_stream_attached', { remoteAddress });
  const heartbeat = setInterval(() => live() && res.write(SSE_HEARTBEAT), info.heartbeatMs);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    streams.delete(res);
    engine.publish('event_stream_detached', { remoteAddress });
  };
  req.socket.once('close', close);
  res.once('close', close);
}
