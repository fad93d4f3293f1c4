/**
 * One health probe (HTTP/HTTPS/TCP and their MESOS_ twins, all run by the engine itself):
 * resolves to undefined when healthy, or the failure cause.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface ProbeTarget {
  protocol: string;
  host: string;
  port: number;
  path?: string;
  timeoutMs: number;
  ignoreHttp1xx?: boolean;
}

export function probe(t: ProbeTarget): Promise<string | undefined> {
  if (t.protocol === 'TCP' || t.protocol === 'MESOS_TCP') return probeTcp(t);
  if (t.protocol === 'HTTPS' || t.protocol === 'MESOS_HTTPS') return probeHttp(t);
  return probePlainHttp(t);
}

/** Status lines longer than this (or a header block without its end) are not an HTTP answer. */
const MAX_HEAD = 16 * 1024;

/**
 * What the status line of an HTTP answer says, skipping informational (1xx) answers before the
 * final one as Node's client does: undefined until the final status line is complete.
 */
export function finalStatus(head: string): { code: number; reason: string } | { malformed: true } | undefined {
  let at = 0;
  for (;;) {
    const eol = head.indexOf('\r\n', at);
    if (eol < 0) return head.length - at > MAX_HEAD ? { malformed: true } : undefined;
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(head.slice(at, eol));
    if (!m) return { malformed: true };
    const code = Number(m[1]);
    if (code < 100 || code >= 200 || code === 101) return { code, reason: m[2] ?? '' };
    const end = head.indexOf('\r\n\r\n', at);
    if (end < 0) return head.length - at > MAX_HEAD ? { malformed: true } : undefined;
    at = end + 4;
  }
}

/**
 * An HTTP check on a plain socket: one GET on a new connection (as Marathon's HealthCheckWorker
 * opens one per check, mesosphere/marathon core/health/impl/HealthCheckWorker.scala
 * `Http().outgoingConnection`), judged by its status line alone. About half the CPU of Node's
 * http client per probe, which counts at hundreds of tasks.
 */
function probePlainHttp(t: ProbeTarget): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: t.host, port: t.port });
    socket.unref(); // a probe in flight never keeps a stopping engine alive
    const timer = setTimeout(() => finish(`no answer within ${t.timeoutMs} ms`), t.timeoutMs);
    timer.unref();
    let done = false;
    let head = '';
    function finish(result: string | undefined) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
    const path = t.path ?? '/';
    // what Node's client refuses too: a space or control character would end the request line
    if (/[^\x21-\xff]/.test(path)) return finish('Request path contains unescaped characters');
    const host = net.isIPv6(t.host) ? `[${t.host}]` : t.host;
    socket.setEncoding('latin1');
    socket.once('connect', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${t.port}\r\nUser-Agent: bbm-devcluster-health\r\nConnection: close\r\n\r\n`, 'latin1'),
    );
    socket.on('data', (chunk: string) => {
      head += chunk;
      const status = finalStatus(head);
      if (status === undefined) return;
      if ('malformed' in status) return finish('Parse Error: the answer is not HTTP');
      const { code, reason } = status;
      if (code >= 200 && code < 400) finish(undefined);
      else if (code >= 100 && code < 200 && t.ignoreHttp1xx) finish(undefined);
      else finish(`${code} ${reason}`.trim());
    });
    socket.once('end', () => finish('socket hang up'));
    socket.once('error', (e) => finish(e.message));
  });
}

function probeTcp(t: ProbeTarget): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: t.host, port: t.port });
    socket.unref(); // a probe in flight never keeps a stopping engine alive
    const timer = setTimeout(() => finish(`TCP connect to ${t.host}:${t.port} timed out after ${t.timeoutMs} ms`), t.timeoutMs);
    timer.unref();
    function finish(result: string | undefined) {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
    socket.once('connect', () => finish(undefined));
    socket.once('error', (e) => finish(`TCP connect to ${t.host}:${t.port}: ${e.message}`));
  });
}

function probeHttp(t: ProbeTarget): Promise<string | undefined> {
  const secure = t.protocol === 'HTTPS' || t.protocol === 'MESOS_HTTPS';
  const lib = secure ? https : http;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = lib.request(
      {
        host: t.host,
        port: t.port,
        path: t.path ?? '/',
        method: 'GET',
        agent: false,
        headers: { 'user-agent': 'bbm-devcluster-health' },
        ...(secure ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        if (code >= 200 && code < 400) finish(undefined);
        else if (code >= 100 && code < 200 && t.ignoreHttp1xx) finish(undefined);
        else finish(`${code} ${res.statusMessage ?? ''}`.trim());
      },
    );
    const timer = setTimeout(() => finish(`no answer within ${t.timeoutMs} ms`), t.timeoutMs);
    timer.unref(); // a probe in flight never keeps a stopping engine alive
    req.once('socket', (s) => s.unref());
    req.once('error', (e) => finish(e.message));
    req.end();
  });
}
