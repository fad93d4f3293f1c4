/**
 * The one description of "which Marathon, as whom": URL, where the credentials come from, the CA
 * file. Every Marathon command (`deploy`, `rollback`, `status`, `endpoints`, `haproxy`) gets a
 * MarathonConnection from its flags and makes its client here; the event stream goes through the
 * same client (`client.events()`), so one URL, one identity and one TLS setup serve both.
 */
import type { RunContext } from '../context.js';
import { describeAuth, resolveMarathonAuth, type AuthFiles } from './auth.js';
import type { MarathonClient, RetryOptions } from './client.js';

export interface MarathonConnection {
  url: string;
  authFiles: AuthFiles;
  caFile?: string | undefined;
}

export interface MakeClientOptions {
  /** ms since the epoch: no request (retries included) runs past it. */
  deadline?: number;
  retry?: Omit<RetryOptions, 'deadline'>;
  /** Print `Marathon: URL (auth…)` (default true). */
  announce?: boolean;
}

export async function makeClient(
  conn: MarathonConnection,
  ctx: Pick<RunContext, 'env' | 'reporter' | 'signal'>,
  opts: MakeClientOptions = {},
): Promise<MarathonClient> {
  const auth = await resolveMarathonAuth({ env: ctx.env, files: conn.authFiles });
  // Loaded here, not at the top: `bbm deploy --dry-run` never makes a client (start-up, docs/performance.md).
  const { MarathonClient } = await import('./client.js');
  const client = new MarathonClient({
    url: conn.url,
    auth,
    caFile: conn.caFile,
    reporter: ctx.reporter,
    retry: { ...opts.retry, deadline: opts.deadline },
    signal: ctx.signal,
  });
  if (opts.announce ?? true) ctx.reporter.info(`Marathon: ${client.url} (${describeAuth(auth)}${conn.caFile ? `, CA file ${conn.caFile}` : ''})`);
  return client;
}
