/**
 * The undici side of the Marathon adapter: one dispatcher per client (with the CA file for TLS),
 * the base URL joined with API paths, and which failures are worth retrying.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { UsageError } from '../errors.js';
import { hasUrlSecret, redactUrl } from '../url-credentials.js';

export function makeDispatcher(opts: { caFile?: string; headersTimeoutMs?: number; bodyTimeoutMs?: number }): Agent {
  let ca: Buffer | undefined;
  if (opts.caFile) {
    try {
      ca = readFileSync(opts.caFile);
    } catch (error) {
      throw new UsageError(`--marathon-ca-file ${opts.caFile}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
        hint: 'give a PEM file with the CA certificate(s) that signed Marathon’s TLS certificate',
      });
    }
  }
  return new Agent({
    connect: ca ? { ca } : {},
    headersTimeout: opts.headersTimeoutMs ?? 30_000,
    bodyTimeout: opts.bodyTimeoutMs ?? 60_000,
    keepAliveTimeout: 2_000,
  });
}

/** `http://h:8080/`, `https://c/service/marathon` → base without a trailing slash; rejects anything else. */
export function normalizeBaseUrl(raw: string, source = '--marathon'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${source}: ${JSON.stringify(redactUrl(raw))} is not a URL`, { hint: 'e.g. --marathon http://127.0.0.1:8080' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${source}: ${JSON.stringify(redactUrl(raw))} must be an http:// or https:// URL`, {
      hint: 'e.g. --marathon http://127.0.0.1:8080',
    });
  if (url.username || url.password || hasUrlSecret(raw))
    throw new UsageError(`${source}: the URL carries credentials; they would show up in logs and process lists`, {
      hint: 'remove them from the URL and use --marathon-credentials-file or BBM_MARATHON_USER/BBM_MARATHON_PASSWORD',
    });
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** Connection-level failures that deserve a retry (refused, reset, DNS hiccup, timeouts). */
export function isTransientNetworkError(error: unknown): boolean {
  const codes = new Set([
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'ENOTFOUND',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_CLOSED',
  ]);
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && codes.has(code)) return true;
  }
  return false;
}

const TLS_CODES = /^(ERR_TLS_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_|ERR_SSL_|HOSTNAME_MISMATCH)/;

/** A TLS verification failure: retrying cannot help, the CA (or the URL's host name) is wrong. */
export function tlsErrorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_CODES.test(code)) return code;
  }
  return undefined;
}

export function networkErrorText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const msg = e instanceof Error ? e.message : String(e);
    parts.push(typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg);
  }
  return [...new Set(parts)].join(': ');
}

export { sleep } from '../sleep.js';
