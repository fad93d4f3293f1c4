/**
 * HTTP for the Marathon adapter over Node's own http/https: one request, its answer's status,
 * headers and body (read whole, or streamed for /v2/events). Why not undici here: `bbm deploy` runs
 * in every build, and loading undici cost as much as Node's whole start-up again (0.5–0.8 s on the
 * loaded 2-core worker, docs/performance.md, step-share); http and https come with Node.
 *
 * Time limits: `headersTimeoutMs` bounds the wait for the answer's headers (the connect included),
 * `bodyTimeoutMs` any silence of the connection (between two pieces of an event stream: its idle
 * limit). Both fail with code ETIMEDOUT, which the client retries like any connection failure.
 * The body is read only when asked (text, dump, iteration): until then Node keeps it buffered.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAgent {
  readonly http: http.Agent;
  readonly https: https.Agent;
  /** Closes the idle connections (answers still due keep theirs until they end). */
  close(): Promise<void>;
  /** Ends every connection now. */
  destroy(): Promise<void>;
}

export function makeAgent(opts: { ca?: Buffer | undefined; keepAliveMs?: number }): HttpAgent {
  const common = { keepAlive: true, keepAliveMsecs: opts.keepAliveMs ?? 2_000 };
  const a = { http: new http.Agent(common), https: new https.Agent({ ...common, ...(opts.ca ? { ca: opts.ca } : {}) }) };
  return {
    ...a,
    // idle keep-alive sockets do not hold the process (Node's agent unrefs them): end them now
    close: async () => {
      for (const agent of [a.http, a.https]) for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
    },
    destroy: async () => {
      a.http.destroy();
      a.https.destroy();
    },
  };
}

export interface HttpBody extends AsyncIterable<Buffer> {
  text(): Promise<string>;
  /** Reads the rest and throws it away. */
  dump(): Promise<void>;
  destroy(): void;
  readonly destroyed: boolean;
}

export interface HttpResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: HttpBody;
}

export interface HttpRequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  agent: HttpAgent;
  signal?: AbortSignal | undefined;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

function timeout(message: string): Error {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' });
}

export function httpRequest(url: string, o: HttpRequestOptions): Promise<HttpResponse> {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(o.signal.reason);
    const headers: Record<string, string> = { ...o.headers };
    if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
    const req = (tls ? https : http).request(u, { method: o.method, headers, agent: tls ? o.agent.https : o.agent.http, signal: o.signal });
    const headersTimer = setTimeout(() => req.destroy(timeout(`no answer within ${o.headersTimeoutMs} ms`)), o.headersTimeoutMs);
    req.on('error', (error) => {
      clearTimeout(headersTimer);
      reject(error);
    });
    // silence on the connection (while the body streams) for bodyTimeoutMs fails the request
    req.setTimeout(o.bodyTimeoutMs, () => req.destroy(timeout(`no data for ${o.bodyTimeoutMs} ms`)));
    req.on('response', (res) => {
      clearTimeout(headersTimer);
      // errors reach whoever reads the body (text, dump, iteration); none may go unheard
      res.on('error', () => undefined);
      const readAll = () =>
        new Promise<Buffer>((ok, fail) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => ok(Buffer.concat(chunks)));
          res.on('error', fail);
          res.on('close', () => {
            if (!res.complete) fail(Object.assign(new Error('the connection was closed before the answer ended'), { code: 'ECONNRESET' }));
          });
        });
      const body: HttpBody = {
        [Symbol.asyncIterator]: () => res[Symbol.asyncIterator]() as AsyncIterator<Buffer>,
        text: async () => (await readAll()).toString('utf8'),
        dump: async () => {
          await readAll().catch(() => undefined);
        },
        destroy: () => res.destroy(),
        get destroyed() {
          return res.destroyed;
        },
      };
      resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body });
    });
    req.end(o.body);
  });
}
