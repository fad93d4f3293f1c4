/**
 * The few Docker Engine API calls `bbm build` and `bbm push` make (ping, build, image inspect,
 * push), over Node's own http/https. Why not dockerode here: every build runs both commands, and
 * loading dockerode (docker-modem, ssh2 and the BuildKit session's gRPC, whatever the call) cost
 * more than Node's whole start-up: 1.2 s against 0.5–0.7 s for `node -e 0` on a loaded 2-core
 * worker (docs/performance.md, step-share). The endpoints and their parameters are the engine's
 * documented API (moby/moby api/swagger.yaml: /_ping, /build, /images/{name}/json,
 * /images/{name}/push). `bbm devcluster` keeps dockerode for its many container calls.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

export interface EngineOptions {
  /** unix socket of the engine (`/var/run/docker.sock`) … */
  socketPath?: string;
  /** … or TCP, with TLS when protocol is https */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** An answer of the engine other than 2xx: its status and its own message (`{"message": …}`). */
export class EngineError extends Error {
  constructor(
    readonly statusCode: number,
    readonly json: { message?: string } | undefined,
    what: string,
  ) {
    super(`${what}: (HTTP code ${statusCode}) ${json?.message ?? 'no message'}`);
  }
}

type Query = Record<string, string | number | boolean | Record<string, string> | undefined>;

/** Query string as the engine reads it: map values (buildargs, labels) as JSON, undefined left out. */
export function engineQuery(query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    params.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * X-Registry-Auth: the credentials as JSON in base64's URL alphabet WITH its `=` padding (Go's
 * base64.URLEncoding, which the engine decodes with: unpadded, it reads no credentials at all);
 * `{}` is "no credentials" (the engine requires the header).
 */
export function registryAuthHeader(auth: object): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export class DockerEngine {
  constructor(private readonly options: EngineOptions) {}

  /** GET /_ping: resolves once the engine answers. */
  async ping(): Promise<void> {
    (await this.request('GET', '/_ping', {})).resume();
  }

  // Names go into the path as they are, as the docker CLI sends them: parseImageReference has
  // checked them (letters, digits, `._-:/`), and the engine's router matches `{name:.*}`.

  /** GET /images/{name}/json; an EngineError with statusCode 404 when there is no such image. */
  async inspectImage(name: string): Promise<unknown> {
    const res = await this.request('GET', `/images/${name}/json`, {});
    return JSON.parse(await readAll(res)) as unknown;
  }

  /** POST /build with the context as a tar stream; the answer is the JSON-lines progress stream. */
  build(context: Readable, query: Query, signal?: AbortSignal): Promise<Readable> {
    return this.request('POST', `/build${engineQuery(query)}`, { body: context, headers: { 'content-type': 'application/x-tar' }, signal });
  }

  /** POST /images/{repository}/push?tag=…; the answer is the JSON-lines progress stream. */
  push(repository: string, tag: string, auth: object, signal?: AbortSignal): Promise<Readable> {
    return this.request('POST', `/images/${repository}/push${engineQuery({ tag })}`, { headers: { 'x-registry-auth': registryAuthHeader(auth) }, signal });
  }

  private request(method: string, path: string, o: { body?: Readable; headers?: Record<string, string>; signal?: AbortSignal | undefined }): Promise<http.IncomingMessage> {
    const { socketPath, host, port, protocol, ca, cert, key } = this.options;
    const tls = protocol === 'https';
    const target = socketPath ? { socketPath } : { host, port, ...(tls ? { ca, cert, key } : {}) };
    return new Promise((resolve, reject) => {
      const req = (tls ? https : http).request({ ...target, method, path, headers: { ...o.headers }, signal: o.signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        readAll(res).then(
          (text) => reject(new EngineError(status, parseMessage(text), `${method} ${path.split('?')[0]}`)),
          reject,
        );
      });
      req.on('error', reject);
      if (o.body) {
        o.body.on('error', (error) => req.destroy(error));
        o.body.pipe(req);
      } else req.end();
    });
  }
}

function parseMessage(text: string): { message?: string } | undefined {
  try {
    const json = JSON.parse(text) as unknown;
    if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') return json as { message: string };
  } catch {
    // not JSON: the text itself is the message
  }
  return text.trim() ? { message: text.trim() } : undefined;
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });
}
