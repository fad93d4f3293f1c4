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
  return probeHttp(t);
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
