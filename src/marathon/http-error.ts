/**
 * A non-2xx answer from Marathon, and how it becomes a BbmError: the client throws the BbmError
 * (UsageError, OperationFailedError, UnreachableError) with the MarathonHttpError as its `cause`,
 * so the CLI gets the right exit code and callers can still look at the status and body
 * (`marathonHttpError(err)?.status === 409`).
 */
import { BbmError, OperationFailedError, UnreachableError, UsageError } from '../errors.js';
import type { MarathonErrorBody } from './types.js';
import { describeAuth, type MarathonAuth } from './auth.js';

export class MarathonHttpError extends Error {
  constructor(
    readonly status: number,
    /** The parsed error body; `message` is a short text taken from a non-JSON body. */
    readonly body: MarathonErrorBody,
    readonly method: string,
    readonly path: string,
    readonly url: string,
  ) {
    super(`${method} ${path} → ${status}: ${body.message}`);
    this.name = 'MarathonHttpError';
  }
}

/** The MarathonHttpError behind an error thrown by the client, if there is one. */
export function marathonHttpError(error: unknown): MarathonHttpError | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof MarathonHttpError) return e;
  return undefined;
}

/**
 * Error bodies are JSON with `message` (mesosphere/marathon api/MarathonExceptionMapper.scala), except
 * Jetty's HTML 401/405 pages.
 */
export function parseErrorBody(text: string, status: number): MarathonErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const o = parsed as Record<string, unknown>;
      const body: MarathonErrorBody = {
        message: typeof o.message === 'string' ? o.message : typeof o.errors === 'string' ? o.errors : `HTTP ${status}`,
      };
      if (typeof o.details === 'string') body.details = o.details;
      else if (Array.isArray(o.details))
        body.details = o.details
          .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object')
          .map((d) => ({
            path: typeof d.path === 'string' ? d.path : '/',
            errors: Array.isArray(d.errors) ? d.errors.map(String) : [String(d.errors ?? '')],
          }));
      if (Array.isArray(o.deployments))
        body.deployments = o.deployments
          .filter((d): d is { id: string } => !!d && typeof (d as { id?: unknown }).id === 'string')
          .map((d) => ({ id: d.id }));
      return body;
    }
  } catch {
    // not JSON: fall through to a text summary
  }
  const plain = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { message: plain ? plain.slice(0, 200) : `HTTP ${status} with an empty body` };
}

/** `  /id: error.pattern` lines for a 400/422 answer. */
export function formatDetails(body: MarathonErrorBody): string[] {
  if (typeof body.details === 'string') return [`  ${body.details}`];
  return (body.details ?? []).map((d) => `  ${d.path}: ${d.errors.join('; ')}`);
}

export interface ErrorContext {
  baseUrl: string;
  auth?: MarathonAuth;
}

/** The BbmError the CLI reports for a Marathon answer that is not retried any more. */
export function toBbmError(e: MarathonHttpError, ctx: ErrorContext): BbmError {
  const where = `Marathon at ${ctx.baseUrl}`;
  const opts = { cause: e };
  switch (true) {
    case e.status === 400 || e.status === 422: {
      const lines = formatDetails(e.body);
      return new UsageError(
        `${where} rejected ${e.method} ${e.path} (${e.status} ${e.body.message})${lines.length ? `:\n${lines.join('\n')}` : ''}`,
        { ...opts, hint: 'fix the app definition at the paths above (Marathon writes array indexes as (i), e.g. /container/portMappings(0)/hostPort)' },
      );
    }
    case e.status === 401 || (e.status === 403 && !/max number/i.test(e.body.message)):
      return new UsageError(
        `${where} refused ${e.method} ${e.path} with ${e.status} (${e.status === 401 ? 'not authenticated' : 'not authorized'}): ` +
          `sent ${describeAuth(ctx.auth)}. Marathon said: ${e.body.message}`,
        {
          ...opts,
          hint: ctx.auth
            ? 'check the credentials in that source (their value is never printed) and the rights of that account'
            : 'give credentials with --marathon-credentials-file FILE (user:password), --marathon-token-file FILE, or BBM_MARATHON_USER + BBM_MARATHON_PASSWORD / BBM_MARATHON_TOKEN',
        },
      );
    case e.status === 404:
      return new UsageError(`${where}: ${e.body.message} (${e.method} ${e.path} → 404)`, {
        ...opts,
        hint: 'check the app id or version; `bbm status --app-id ID` lists the versions Marathon keeps',
      });
    case e.status === 409: {
      const ids = (e.body.deployments ?? []).map((d) => d.id);
      return new OperationFailedError(
        `${where} answered 409 to ${e.method} ${e.path}: ${e.body.message.replace(/ View details at .*$/, '')}` +
          (ids.length ? ` (deployments: ${ids.join(', ')})` : ''),
        { ...opts, hint: 'wait for the running deployment to finish, or pass --force to cancel it' },
      );
    }
    case e.status === 502 || e.status === 503 || e.status === 504:
      return new UnreachableError(`${where} kept answering ${e.status} to ${e.method} ${e.path}: ${e.body.message}`, {
        ...opts,
        hint: 'check that Marathon has an elected leader (GET /v2/leader) and retry later',
      });
    default:
      return new OperationFailedError(`${where} answered ${e.status} to ${e.method} ${e.path}: ${e.body.message}`, opts);
  }
}
