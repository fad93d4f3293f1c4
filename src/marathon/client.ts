/**
 * The Marathon /v2 adapter (undici). Every method validates its app id before sending anything,
 * retries what a healthy cluster can answer in passing — connection errors, 502/503/504 (a leader
 * failover: mesosphere/marathon api/LeaderProxyFilter.scala answers 502 without a leader) and, on
 * reads, 500 (Marathon answers 500 when its 2 s health-status ask times out under load:
 * core/health/impl/MarathonHealthCheckManager.scala) — and turns other answers into BbmErrors
 * (see http-error.ts) whose `cause` is the MarathonHttpError.
 *
 * With a deadline, the deadline alone bounds a call: retries go on until it passes (no attempt
 * count), and a request that never answers is cut when it passes (undici's headersTimeout and
 * bodyTimeout, and an abort signal for the connect, at the time left).
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { UnreachableError, OperationFailedError, UsageError } from '../errors.js';
import { silentReporter, type Reporter } from '../reporter.js';
import { normalizeAppId } from './app-id.js';
import { authorizationHeader, type MarathonAuth } from './auth.js';
import { streamEvents, type StreamEventsOptions } from './events.js';
import { MarathonHttpError, parseErrorBody, toBbmError } from './http-error.js';
import { isTransientNetworkError, makeDispatcher, networkErrorText, normalizeBaseUrl, sleep, tlsErrorCode } from './transport.js';
import type { AppDefinition, AppInfo, Deployment, DeploymentResult, MarathonEvent, Task } from './types.js';

export interface RetryOptions {
  /** Tries per request, the first included (default 6); with a deadline, retries go on until it passes. */
  attempts?: number;
  /** First backoff; doubles each time, with jitter, capped at 5 s (default 250 ms). */
  baseDelayMs?: number;
  /** Absolute time (ms since the epoch, as Date.now()) after which no retry starts. */
  deadline?: number;
}

export interface MarathonClientOptions {
  url: string;
  auth?: MarathonAuth;
  caFile?: string;
  reporter?: Reporter;
  retry?: RetryOptions;
  signal?: AbortSignal;
}

export interface MarathonInfo {
  name?: string;
  version?: string;
  leader?: string | null;
  elected?: boolean;
  frameworkId?: string;
  marathon_config?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface PutAppResult extends DeploymentResult {
  status: 200 | 201;
}

type Query = Record<string, string | boolean | undefined | string[]>;

const RETRY_STATUS = new Set([502, 503, 504]);
/** A 500 is retried on reads only: a write that failed half-way is for the caller to judge. */
const RETRY_READ_STATUS = new Set([500, 502, 503, 504]);
/** Longest wait for one answer when no deadline is set (and the longest single try within one). */
const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
const DEFAULT_BODY_TIMEOUT_MS = 60_000;

export class MarathonClient {
  readonly url: string;
  readonly auth: MarathonAuth | undefined;
  readonly caFile: string | undefined;
  private readonly reporter: Reporter;
  private readonly retry: Required<Omit<RetryOptions, 'deadline'>> & { deadline?: number };
  private readonly dispatcher: Dispatcher & { close(): Promise<void>; destroy(): Promise<void> };
  private readonly signal: AbortSignal | undefined;

  constructor(opts: MarathonClientOptions) {
    this.url = normalizeBaseUrl(opts.url);
    this.auth = opts.auth;
    this.caFile = opts.caFile;
    this.reporter = opts.reporter ?? silentReporter;
    this.retry = { attempts: opts.retry?.attempts ?? 6, baseDelayMs: opts.retry?.baseDelayMs ?? 250, deadline: opts.retry?.deadline };
    this.dispatcher = makeDispatcher({ caFile: opts.caFile });
    this.signal = opts.signal;
  }

  /** Moves the retry deadline (deploy sets it to its own timeout). */
  setDeadline(deadline: number | undefined): void {
    this.retry.deadline = deadline;
  }

  /** Ends the connections; a stopped run (its signal aborted) does not wait for answers still due. */
  async close(): Promise<void> {
    if (this.signal?.aborted) await this.dispatcher.destroy();
    else await this.dispatcher.close();
  }

  /** GET /v2/events on this client's Marathon, as this client's identity and CA (see events.ts). */
  events(opts: Omit<StreamEventsOptions, 'url' | 'auth' | 'caFile' | 'dispatcher'>): AsyncGenerator<MarathonEvent, void, undefined> {
    return streamEvents({ ...opts, url: this.url, auth: this.auth, caFile: this.caFile });
  }

  info(): Promise<MarathonInfo> {
    return this.json<MarathonInfo>('GET', '/v2/info');
  }

  async getApps(opts: { embed?: string[]; label?: string } = {}): Promise<AppInfo[]> {
    const body = await this.json<{ apps: AppInfo[] }>('GET', '/v2/apps', { query: { embed: opts.embed, label: opts.label } });
    return Array.isArray(body?.apps) ? body.apps : [];
  }

  /** The app with its tasks, counts and deployments, or null when Marathon says 404. */
  async getApp(id: string): Promise<AppInfo | null> {
    const appId = normalizeAppId(id);
    const r = await this.send('GET', `/v2/apps${appId}`, { allow404: true });
    if (r.status === 404) return null;
    return (r.json as { app: AppInfo }).app;
  }

  /** PUT /v2/apps/{id}: 201 when created, 200 when updated. The id in the body is the normalised one. */
  async putApp(def: AppDefinition, opts: { force?: boolean; partialUpdate?: boolean } = {}): Promise<PutAppResult> {
    const appId = normalizeAppId(def.id, 'app definition "id"');
    const r = await this.send('PUT', `/v2/apps${appId}`, {
      query: { force: opts.force ? 'true' : undefined, partialUpdate: opts.partialUpdate === undefined ? undefined : String(opts.partialUpdate) },
      body: { ...def, id: appId },
    });
    return { status: r.status === 201 ? 201 : 200, ...deploymentResult(r.json, r.headers, 'PUT', `/v2/apps${appId}`) };
  }

  /** Restores a stored version as a new version (a normal deployment). */
  async rollbackApp(id: string, version: string, opts: { force?: boolean } = {}): Promise<DeploymentResult> {
    const appId = normalizeAppId(id);
    const r = await this.send('PUT', `/v2/apps${appId}`, { query: { force: opts.force ? 'true' : undefined }, body: { version } });
    return deploymentResult(r.json, r.headers, 'PUT', `/v2/apps${appId}`);
  }

  /** Stored versions, oldest first (Marathon does not promise an order). */
  async getVersions(id: string): Promise<string[]> {
    const appId = normalizeAppId(id);
    const body = await this.json<{ versions: string[] }>('GET', `/v2/apps${appId}/versions`);
    return sortVersions(body?.versions ?? []);
  }

  getVersion(id: string, version: string): Promise<AppDefinition> {
    const appId = normalizeAppId(id);
    return this.json<AppDefinition>('GET', `/v2/apps${appId}/versions/${encodeURIComponent(version)}`);
  }

  async getDeployments(): Promise<Deployment[]> {
    const body = await this.json<Deployment[]>('GET', '/v2/deployments');
    return Array.isArray(body) ? body : [];
  }

  /**
   * DELETE /v2/deployments/{id}: without force Marathon starts a rollback deployment and answers
   * with its id; with force it just stops (202, null here). Null too when it had already finished (404).
   */
  async cancelDeployment(id: string, opts: { force?: boolean } = {}): Promise<DeploymentResult | null> {
    const path = `/v2/deployments/${encodeURIComponent(id)}`;
    const r = await this.send('DELETE', path, { query: { force: opts.force ? 'true' : undefined }, allow404: true });
    if (r.status === 404 || r.status === 202 || r.json == null) return null;
    return deploymentResult(r.json, r.headers, 'DELETE', path);
  }

  async deleteApp(id: string): Promise<DeploymentResult> {
    const appId = normalizeAppId(id);
    const r = await this.send('DELETE', `/v2/apps${appId}`);
    return deploymentResult(r.json, r.headers, 'DELETE', `/v2/apps${appId}`);
  }

  async getAppTasks(id: string): Promise<Task[]> {
    const appId = normalizeAppId(id);
    const body = await this.json<{ tasks: Task[] }>('GET', `/v2/apps${appId}/tasks`);
    return Array.isArray(body?.tasks) ? body.tasks : [];
  }

  private async json<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    return (await this.send(method, path, opts)).json as T;
  }

  /** One request with retries; returns parsed JSON of a 2xx (or the 404 when allowed). */
  async send(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; allow404?: boolean } = {},
  ): Promise<{ status: number; json: unknown; headers: Record<string, string | string[] | undefined> }> {
    const url = this.url + path + queryString(opts.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    const authorization = authorizationHeader(this.auth);
    if (authorization) headers.authorization = authorization;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const { deadline } = this.retry;
    const retryable = method === 'GET' ? RETRY_READ_STATUS : RETRY_STATUS;
    for (let attempt = 1; ; attempt++) {
      let failure: string;
      let lastHttp: MarathonHttpError | undefined;
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) throw this.giveUp(method, path, 'gave no answer before the deadline', attempt - 1, undefined);
      // the deadline cuts a silent server: no answer, no body, or no connection within the time left
      const cut = left === undefined ? undefined : AbortSignal.timeout(Math.max(1, left));
      const signal = cut && this.signal ? AbortSignal.any([this.signal, cut]) : (cut ?? this.signal);
      try {
        const res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body: payload,
          dispatcher: this.dispatcher,
          signal,
          headersTimeout: Math.max(1, Math.min(left ?? DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS)),
          bodyTimeout: Math.max(1, Math.min(left ?? DEFAULT_BODY_TIMEOUT_MS, DEFAULT_BODY_TIMEOUT_MS)),
        });
        const text = await res.body.text();
        if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, json: parseJson(text, method, path), headers: res.headers };
        if (res.statusCode === 404 && opts.allow404) return { status: 404, json: null, headers: res.headers };
        const error = new MarathonHttpError(res.statusCode, parseErrorBody(text, res.statusCode), method, path, url);
        if (!retryable.has(res.statusCode)) throw toBbmError(error, { baseUrl: this.url, auth: this.auth });
        lastHttp = error;
        failure = `answered ${res.statusCode} (${error.body.message})`;
      } catch (error) {
        const tls = tlsErrorCode(error);
        if (tls)
          throw new UsageError(`Marathon at ${this.url}: TLS certificate not accepted (${tls}: ${networkErrorText(error)})`, {
            hint: this.caFile
              ? `check that ${this.caFile} holds the CA that signed Marathon’s certificate, and that the URL’s host name is in the certificate`
              : 'give the CA that signed Marathon’s certificate with --marathon-ca-file FILE (PEM)',
            cause: error,
          });
        if (this.signal?.aborted) throw error;
        const timedOut = cut?.aborted === true;
        if (lastHttp === undefined && !timedOut && !isTransientNetworkError(error)) throw error;
        if (timedOut) failure = 'gave no answer before the deadline';
        else if (lastHttp === undefined) failure = `could not be reached: ${networkErrorText(error)}`;
        else failure = `answered ${lastHttp.status}`;
        if (this.outOfTries(attempt)) throw this.giveUp(method, path, failure, attempt, lastHttp ?? error);
        await this.pause(method, path, failure, attempt);
        continue;
      }
      if (this.outOfTries(attempt)) throw this.giveUp(method, path, failure, attempt, lastHttp);
      await this.pause(method, path, failure, attempt);
    }
  }

  /** With a deadline only the deadline ends the retries; without one, the attempt count does. */
  private outOfTries(attempt: number): boolean {
    const { attempts, deadline } = this.retry;
    if (deadline !== undefined) return Date.now() >= deadline;
    return attempt >= attempts;
  }

  private async pause(method: string, path: string, failure: string, attempt: number): Promise<void> {
    const { attempts, baseDelayMs, deadline } = this.retry;
    const delay = backoff(attempt, baseDelayMs, deadline);
    const left = deadline === undefined ? `attempt ${attempt + 1} of ${attempts}` : `attempt ${attempt + 1}, ${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s left`;
    this.reporter.warn(`Marathon at ${this.url} ${failure} for ${method} ${path}; retrying in ${(delay / 1000).toFixed(1)} s (${left})`);
    await sleep(delay, this.signal);
  }

  private giveUp(method: string, path: string, failure: string, attempt: number, cause: unknown) {
    if (cause instanceof MarathonHttpError) {
      const e = toBbmError(cause, { baseUrl: this.url, auth: this.auth });
      return new UnreachableError(`${e.message} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`, { hint: e.hint, cause });
    }
    const within = this.retry.deadline === undefined ? '' : ' within the timeout';
    return new UnreachableError(`Marathon at ${this.url} ${failure} for ${method} ${path} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}${within})`, {
      hint: 'check --marathon / BBM_MARATHON_URL, that Marathon (or `bbm devcluster`) is running, and the network between here and it',
      cause,
    });
  }
}

function backoff(attempt: number, baseMs: number, deadline: number | undefined): number {
  const exp = Math.min(5_000, baseMs * 2 ** (attempt - 1));
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return deadline === undefined ? jittered : Math.max(0, Math.min(jittered, deadline - Date.now()));
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === false) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function parseJson(text: string, method: string, path: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new OperationFailedError(`Marathon answered ${method} ${path} with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`, {
      hint: 'check that --marathon points at Marathon’s /v2 API and not at a proxy or login page',
    });
  }
}

function deploymentResult(json: unknown, headers: Record<string, string | string[] | undefined>, method: string, path: string): DeploymentResult {
  const o = (json ?? {}) as Partial<DeploymentResult> & { deployments?: { id: string }[] };
  const header = headers['marathon-deployment-id'];
  const deploymentId = o.deploymentId ?? o.deployments?.[0]?.id ?? (Array.isArray(header) ? header[0] : header);
  if (typeof deploymentId !== 'string' || deploymentId === '')
    throw new OperationFailedError(`Marathon answered ${method} ${path} without a deployment id: ${JSON.stringify(json).slice(0, 200)}`);
  return { deploymentId, version: typeof o.version === 'string' ? o.version : '' };
}

/** ISO-8601 timestamps, oldest first; anything unparsable sorts as text at the end. */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort((a, b) => {
    const ta = Date.parse(a);
    const tb = Date.parse(b);
    if (Number.isNaN(ta) || Number.isNaN(tb)) return Number.isNaN(ta) === Number.isNaN(tb) ? a.localeCompare(b) : Number.isNaN(ta) ? 1 : -1;
    return ta - tb || a.localeCompare(b);
  });
}
