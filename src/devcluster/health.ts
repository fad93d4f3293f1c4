/**
 * One health probe (HTTP/HTTPS/TCP and their MESOS_ twins, all run by the engine itself):
 * resolves to undefined when healthy, the failure cause, or `{ ignored }` for an answer that
 * changes nothing (Marathon's `Ignored` health result).
 *
 * HTTP answers are judged as Marathon and Mesos judge them, each with its own client:
 * - Marathon-level `HTTP`/`HTTPS` (mesosphere/marathon
 *   src/main/scala/mesosphere/marathon/core/health/impl/HealthCheckWorker.scala): 200-399 is
 *   Healthy; with `ignoreHttp1xx` (HTTP only: the `https` branch never looks at it) 100-199 is
 *   `Ignored`, which HealthCheckActor.handleHealthResult drops ("Ignore and keep the old health":
 *   no state change, no event; core/health/HealthResult.scala); anything else is Unhealthy with
 *   the status as its cause. The worker only ever sees the final answer: its client, akka-http
 *   10.1.11 (project/Dependencies.scala), drops every 1xx answer as interim, 101 included
 *   (akka/akka-http HttpResponseParser `finishEmptyResponse`, StatusCodes.Informational), and a
 *   connection that ends without a final answer fails the request (Unhealthy).
 * - `MESOS_HTTP`/`MESOS_HTTPS`: the agent runs `curl -s -S -L -k -w %{http_code}` (apache/mesos
 *   src/checks/checker_process.cpp) and calls 200-399 healthy, anything else "Unexpected HTTP
 *   response code" (src/checks/health_checker.cpp). curl skips interim 1xx answers except 101,
 *   which it reports as the final code; Marathon does not pass `ignoreHttp1xx` on to Mesos
 *   (core/health/HealthCheck.scala MesosHttpHealthCheck has no such field). With `-L` curl
 *   follows a 3xx answer's Location (relative to the URL it asked, any 3xx that has one, at most
 *   50 times, each on a new connection, the check's timeout covering them all) and reports the
 *   code at the end of the chain; a 3xx without Location is the final code (healthy).
 */
import net from 'node:net';
import tls from 'node:tls';

export interface ProbeTarget {
  protocol: string;
  host: string;
  port: number;
  path?: string;
  timeoutMs: number;
  ignoreHttp1xx?: boolean;
}

/** An answer that neither passes nor fails the check (Marathon's `Ignored`). */
export interface Ignored {
  ignored: string;
}

export type ProbeResult = string | undefined | Ignored;

export function probe(t: ProbeTarget): Promise<ProbeResult> {
  if (t.protocol === 'TCP' || t.protocol === 'MESOS_TCP') return probeTcp(t);
  return probeHttp(t);
}

/** Whose client reads the answer: Marathon's (akka-http) or the Mesos agent's (curl). */
export type HttpClient = 'marathon' | 'mesos';

export function clientOf(protocol: string): HttpClient {
  return protocol.startsWith('MESOS_') ? 'mesos' : 'marathon';
}

/** An answer the client reads past, waiting for the final one: every 1xx for akka-http, every 1xx but 101 for curl. */
export function isInterim(code: number, client: HttpClient): boolean {
  return code >= 100 && code < 200 && (client === 'marathon' || code !== 101);
}

export type Verdict = 'healthy' | 'unhealthy' | 'ignored';

/** What a final status means for the check (HealthCheckWorker.http/https; Mesos' health checker). */
export function httpVerdict(code: number, protocol: string, ignoreHttp1xx: boolean): Verdict {
  if (code >= 200 && code < 400) return 'healthy';
  if (protocol === 'HTTP' && ignoreHttp1xx && code >= 100 && code < 200) return 'ignored';
  return 'unhealthy';
}

/** Status lines longer than this (or a header block without its end) are not an HTTP answer. */
const MAX_HEAD = 16 * 1024;

/**
 * What the status line of an HTTP answer says, skipping the answers `client` reads past as
 * interim (isInterim): undefined until the final status line is complete.
 */
export function finalStatus(head: string, client: HttpClient = 'marathon'): { code: number; reason: string; at: number } | { malformed: true } | undefined {
  let at = 0;
  for (;;) {
    const eol = head.indexOf('\r\n', at);
    if (eol < 0) return head.length - at > MAX_HEAD ? { malformed: true } : undefined;
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(head.slice(at, eol));
    if (!m) return { malformed: true };
    const code = Number(m[1]);
    if (!isInterim(code, client)) return { code, reason: m[2] ?? '', at };
    const end = head.indexOf('\r\n\r\n', at);
    if (end < 0) return head.length - at > MAX_HEAD ? { malformed: true } : undefined;
    at = end + 4;
  }
}

/**
 * The Location header of the answer whose status line starts at `at`: null when it has none (or
 * an empty one), undefined until its header block is complete, malformed past 16 KiB.
 */
export function locationOf(head: string, at: number): string | null | undefined | { malformed: true } {
  const end = head.indexOf('\r\n\r\n', at);
  if (end < 0) return head.length - at > MAX_HEAD ? { malformed: true } : undefined;
  for (const line of head.slice(at, end).split('\r\n').slice(1)) {
    const m = /^location:[ \t]*(.*?)[ \t]*$/i.exec(line);
    if (m) return m[1] ? m[1] : null;
  }
  return null;
}

/** What `curl -L` stops at: the 51st redirect fails (its --max-redirs default is 50). */
export const MAX_REDIRECTS = 50;

/**
 * An HTTP(S) check: one GET on a new connection (as Marathon's HealthCheckWorker opens one per
 * check, `Http().outgoingConnection`, and curl does), judged by its status line alone; for
 * Mesos-level checks the redirects curl -L would follow are followed. HTTPS does not verify the
 * certificate (neither Marathon's disabled SSL context nor `curl -k` does). About half the CPU of
 * Node's http client per probe, which counts at hundreds of tasks.
 */
function probeHttp(t: ProbeTarget): Promise<ProbeResult> {
  const client = clientOf(t.protocol);
  return new Promise((resolve) => {
    let done = false;
    let socket: net.Socket | undefined;
    const timer = setTimeout(() => finish(`no answer within ${t.timeoutMs} ms`), t.timeoutMs);
    timer.unref();
    function finish(result: ProbeResult) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(result);
    }
    // Marathon makes the path absolute (HealthCheckWorker: `if (rawPath.startsWith("/")) … else s"/$rawPath"`)
    const raw = t.path ?? '';
    const path = client === 'marathon' && !raw.startsWith('/') ? `/${raw}` : raw || '/';
    // what Node's client refuses too: a space or control character would end the request line
    if (/[^\x21-\xff]/.test(path)) return finish('Request path contains unescaped characters');
    const secure = t.protocol === 'HTTPS' || t.protocol === 'MESOS_HTTPS';
    ask({ secure, host: t.host, port: t.port, path }, 0);

    function ask(to: { secure: boolean; host: string; port: number; path: string }, redirects: number) {
      if (done) return;
      socket?.destroy();
      const host = net.isIPv6(to.host) ? `[${to.host}]` : to.host;
      const request = `GET ${to.path} HTTP/1.1\r\nHost: ${host}:${to.port}\r\nUser-Agent: bbm-devcluster-health\r\nConnection: close\r\n\r\n`;
      const s = to.secure
        ? tls.connect({ host: to.host, port: to.port, rejectUnauthorized: false, ...(net.isIP(to.host) ? {} : { servername: to.host }) })
        : net.connect({ host: to.host, port: to.port });
      socket = s;
      s.unref(); // a probe in flight never keeps a stopping engine alive
      s.setEncoding('latin1');
      let head = '';
      let answered = false;
      s.once(to.secure ? 'secureConnect' : 'connect', () => s.write(request, 'latin1'));
      s.on('data', (chunk: string) => {
        if (answered) return;
        head += chunk;
        const status = finalStatus(head, client);
        if (status === undefined) return;
        if ('malformed' in status) return finish('Parse Error: the answer is not HTTP');
        const { code, reason, at } = status;
        if (client === 'mesos' && code >= 300 && code < 400) {
          const location = locationOf(head, at);
          if (location === undefined) return;
          if (location !== null && typeof location === 'object') return finish('Parse Error: the answer is not HTTP');
          if (location !== null) {
            answered = true;
            return follow(to, location, redirects);
          }
        }
        answered = true;
        const text = `${code} ${reason}`.trim();
        const verdict = httpVerdict(code, t.protocol, t.ignoreHttp1xx === true);
        finish(verdict === 'healthy' ? undefined : verdict === 'ignored' ? { ignored: text } : text);
      });
      s.once('end', () => !answered && finish('socket hang up'));
      s.once('error', (e) => !answered && finish(e.message));
    }

    function follow(from: { secure: boolean; host: string; port: number; path: string }, location: string, redirects: number) {
      if (redirects >= MAX_REDIRECTS) return finish(`Maximum (${MAX_REDIRECTS}) redirects followed`);
      let next: URL;
      try {
        const base = new URL(`${from.secure ? 'https' : 'http'}://${net.isIPv6(from.host) ? `[${from.host}]` : from.host}:${from.port}${from.path}`);
        next = new URL(location, base);
      } catch {
        return finish(`redirect to a URL that cannot be read: ${location}`);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return finish(`redirect to an unsupported protocol: ${next.protocol}`);
      const secure = next.protocol === 'https:';
      const host = next.hostname.replace(/^\[(.*)\]$/, '$1');
      ask({ secure, host, port: next.port ? Number(next.port) : secure ? 443 : 80, path: `${next.pathname}${next.search}` }, redirects + 1);
    }
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
