/**
 * Buildbot's own endpoints, same origin: REST `/api/v2`, JSON-RPC force, `/config` (who is logged
 * in), `/auth/login` + `/auth/logout`, the `/ws` event stream, and the console's one endpoint of its
 * own, `/bbm/api/deployments`. The console decides nothing about permissions: the master does.
 */
import { forceBody, forceOutcome } from './model/force-form.js';
import { consumer } from './model/consume.js';
import { masterRoot, wsUrl } from './model/paths.js';

export const ROOT = masterRoot(location.pathname);

export interface User {
  username?: string;
  anonymous?: boolean;
  roles?: string[];
}

export interface MasterConfig {
  title?: string;
  user: User;
  auth?: { name?: string; oauth2?: boolean };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', ...init });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: string } | null;
    throw new HttpError(res.status, body?.error ?? `${url}: HTTP ${res.status}`);
  }
  return (await res.json()) as T;
}

export const api = <T>(path: string) => json<T>(`${ROOT}api/v2/${path}`);
export const config = () => json<MasterConfig>(`${ROOT}config`);
export const deployments = <T>() => json<T>(`${ROOT}bbm/api/deployments`);

export async function force(scheduler: string, params: Record<string, unknown>) {
  const res = await fetch(`${ROOT}api/v2/forceschedulers/${encodeURIComponent(scheduler)}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: forceBody(params),
  });
  return forceOutcome(await res.json().catch(() => null), res.status);
}

/** Log in the way Buildbot's UI does for user/password auth: basic credentials on /auth/login. */
export async function login(user: string, password: string): Promise<void> {
  const utf8 = new TextEncoder().encode(`${user}:${password}`);
  const token = btoa(String.fromCharCode(...utf8));
  await fetch(`${ROOT}auth/login`, { credentials: 'same-origin', headers: { Authorization: `Basic ${token}` }, redirect: 'manual' });
}

export async function logout(): Promise<void> {
  await fetch(`${ROOT}auth/logout`, { credentials: 'same-origin', redirect: 'manual' });
}

/**
 * Buildbot's websocket (`buildbot/www/ws.py`, model/consume.ts): `startConsuming` each path, then
 * every message under it arrives as `{k, m}`. `onEvent` is called (debounced) for any of them, and
 * once the master has answered every subscription (the catch-up read: what happened before);
 * the page then re-reads REST. Reconnects after a drop; `close()` ends it.
 */
export function subscribe(paths: string[], onEvent: () => void): { close(): void } {
  let ws: WebSocket | null = null;
  let closed = false;
  let timer: number | undefined;
  let unanswered: number | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = window.setTimeout(onEvent, 150);
  };
  const open = () => {
    if (closed) return; // closed while waiting to reconnect
    const c = consumer(paths);
    ws = new WebSocket(wsUrl(location.href, ROOT));
    ws.onopen = () => {
      for (const frame of c.frames) ws?.send(frame);
      // A master that does not answer subscriptions: catch up anyway.
      unanswered = window.setTimeout(fire, 5000);
    };
    ws.onmessage = (e) => {
      const got = c.receive(JSON.parse(String(e.data)));
      if (got === 'ready') clearTimeout(unanswered);
      if (got) fire();
    };
    ws.onclose = () => {
      clearTimeout(unanswered);
      if (!closed) window.setTimeout(open, 2000);
    };
  };
  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      clearTimeout(unanswered);
      ws?.close();
    },
  };
}
