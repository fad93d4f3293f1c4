/**
 * Who may talk to the devcluster, decided purely from a request's headers: the engine runs
 * containers, so a web page in the user's browser must not be able to reach it (a cross-site
 * `text/plain` POST, or DNS rebinding with a name that resolves to 127.0.0.1).
 *
 * - Bodies only as `application/json` (Marathon's resources declare
 *   `@Consumes(Array(MediaType.APPLICATION_JSON))`, e.g. mesosphere/marathon
 *   src/main/scala/mesosphere/marathon/api/v2/AppsResource.scala: Jersey answers 415 otherwise).
 * - A `Host` that is not the engine's bound address or one of its names is refused (a rebinding
 *   page sends its own domain name).
 * - An `Origin` that is not the engine's own is refused with 403. Stricter than Marathon on
 *   purpose: its api/CORSFilter.scala only adds Access-Control-* headers for the origins
 *   `--access_control_allow_origin` lists and lets the request run; a browser's "simple" POST
 *   runs before any CORS check, so the engine has to refuse it itself.
 * - HTTP basic credentials, when configured, as Marathon's `--http_credentials` / `--http_realm`
 *   (src/main/scala/mesosphere/marathon/HttpConf.scala; every path, /ping included).
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export interface GuardOptions {
  /** The address the engine listens on (`--host`). */
  bindHost: string;
  /** The port it listens on (after binding). */
  port: number;
  /** Host names that also mean this engine (advertise host, the machine's name). */
  names: string[];
  /** `user:password` when the engine was started with `--auth-file`. */
  credentials?: string;
}

export interface Refusal {
  status: number;
  headers?: Record<string, string>;
  /** JSON body (or HTML for 401, as Jetty sends it). */
  body: unknown;
  html?: string;
}

export interface RequestFacts {
  method: string;
  host: string | undefined;
  origin: string | undefined;
  contentType: string | undefined;
  /** The request carries a body (Content-Length > 0 or chunked). */
  hasBody: boolean;
  authorization: string | undefined;
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** `127.0.0.1:8080` → `127.0.0.1`, `[::1]:80` → `::1`, `Name` → `name`. */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h).replace(/\.$/, '');
}

/** Whether a Host (or Origin host) names this engine. IP literals must be its address (any, when bound to all). */
export function hostAllowed(hostname: string, o: GuardOptions): boolean {
  const bind = o.bindHost.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(hostname)) {
    if (WILDCARD.has(bind)) return true;
    if (isLoopback(bind)) return isLoopback(hostname);
    return hostname === bind;
  }
  const names = new Set([...o.names.map((n) => n.toLowerCase()), 'localhost']);
  if (!isIP(bind) && !WILDCARD.has(bind)) names.add(bind);
  if (hostname === 'localhost') return isLoopback(bind) || WILDCARD.has(bind);
  return names.has(hostname);
}

function jsonType(contentType: string): boolean {
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(t);
}

function credentialsMatch(header: string | undefined, expected: string): boolean {
  const m = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(Buffer.from(m[1]!, 'base64').toString('utf8'));
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

const UNAUTHORIZED_HTML =
  '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error 401 Unauthorized</title>\n</head>\n<body><h2>HTTP ERROR 401</h2>\n<p>Reason:\n<pre>    Unauthorized</pre></p>\n</body>\n</html>\n';

/** Undefined when the request may go on; otherwise the answer that refuses it. */
export function refusal(r: RequestFacts, o: GuardOptions): Refusal | undefined {
  if (r.host !== undefined && !hostAllowed(hostnameOf(r.host), o))
    return {
      status: 403,
      body: { message: `Host ${JSON.stringify(r.host)} does not name this engine (it listens on ${o.bindHost}); use its address or start it with --advertise-host <name>` },
    };
  if (r.origin !== undefined) {
    let ok = false;
    try {
      const u = new URL(r.origin);
      const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
      ok = u.protocol === 'http:' && port === o.port && hostAllowed(hostnameOf(u.host), o);
    } catch {
      ok = false;
    }
    if (!ok) return { status: 403, body: { message: `Origin ${JSON.stringify(r.origin)} is not allowed: bbm devcluster serves only its own origin` } };
  }
  if (o.credentials !== undefined && !credentialsMatch(r.authorization, o.credentials))
    return { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="Mesosphere"' }, body: undefined, html: UNAUTHORIZED_HTML };
  const writes = r.method !== 'GET' && r.method !== 'HEAD';
  if (writes && (r.contentType !== undefined ? !jsonType(r.contentType) : r.hasBody))
    return {
      status: 415,
      body: { message: `Unsupported Media Type: request bodies must be application/json (got ${r.contentType === undefined ? 'none' : JSON.stringify(r.contentType)})` },
    };
  return undefined;
}

/**
 * Docker `parameters` that widen a container's access to the host: refused unless the engine was
 * started with --allow-privileged. Keys as Marathon passes them to `docker run --<key>=<value>`.
 */
const WIDENING_ALWAYS = new Set(['privileged', 'cap-add', 'device', 'device-cgroup-rule', 'volume', 'v', 'mount', 'volumes-from', 'security-opt', 'cgroup-parent']);
const WIDENING_WHEN_HOST = new Set(['pid', 'ipc', 'userns', 'uts', 'cgroupns', 'net', 'network']);

export interface PrivilegedInput {
  privileged?: boolean;
  parameters?: { key: string; value: string }[];
  volumes?: unknown[];
}

/** Fields of a definition that would give its tasks more than an ordinary container: path → error. */
export function privilegeProblems(c: PrivilegedInput): { path: string; error: string }[] {
  const out: { path: string; error: string }[] = [];
  const hint = 'refused by bbm devcluster unless started with --allow-privileged';
  if (c.privileged === true) out.push({ path: '/container/docker/privileged', error: `privileged containers are ${hint}` });
  (c.parameters ?? []).forEach((p, i) => {
    const key = String(p.key).replace(/^-+/, '').toLowerCase();
    const value = String(p.value).trim().toLowerCase();
    if (WIDENING_ALWAYS.has(key) || (WIDENING_WHEN_HOST.has(key) && (value === 'host' || value.startsWith('container:'))))
      out.push({ path: `/container/docker/parameters(${i})/key`, error: `docker parameter ${JSON.stringify(p.key)} widens the container's access to the host: ${hint}` });
  });
  (c.volumes ?? []).forEach((v, i) => {
    if (v && typeof v === 'object' && typeof (v as { hostPath?: unknown }).hostPath === 'string')
      out.push({ path: `/container/volumes(${i})/hostPath`, error: `host-path volumes are ${hint}` });
  });
  return out;
}
