/** The CLI side of `bbm devcluster`: start, print the one ready line, run until interrupted. */
import path from 'node:path';
import type { RunContext } from '../context.js';
import { readFile } from 'node:fs/promises';
import { UnreachableError, UsageError } from '../errors.js';
import type { DevclusterOptions } from './index.js';
import { startDevcluster } from './index.js';

export interface RunDevclusterOptions extends Omit<DevclusterOptions, 'reporter' | 'credentials'> {
  /** File holding `user:password` (read here, so the secret never is an argument). */
  authFile?: string;
}

async function readCredentials(file: string, cwd: string): Promise<string> {
  const at = path.resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(at, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --auth-file ${at}: ${(e as Error).message}`, { hint: 'give a file holding one line user:password' });
  }
  const line = text.split(/\r?\n/)[0]?.trim() ?? '';
  if (!/^[^:\s]+:\S+$/.test(line)) throw new UsageError(`--auth-file ${at} does not hold user:password on its first line`, { hint: 'write one line user:password (no spaces)' });
  return line;
}

export async function runDevcluster(opts: RunDevclusterOptions, ctx: RunContext): Promise<void> {
  const stateDir = path.resolve(ctx.cwd, opts.stateDir);
  const { authFile, ...rest } = opts;
  const credentials = authFile !== undefined ? await readCredentials(authFile, ctx.cwd) : undefined;
  let cluster;
  try {
    cluster = await startDevcluster({ ...rest, stateDir, reporter: ctx.reporter, ...(credentials !== undefined ? { credentials } : {}) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UnreachableError(`port ${opts.port} on ${opts.host} is already in use`, { hint: 'pick another with --port (0 picks a free one)' });
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'EACCES')
      throw new UnreachableError(`cannot reach the Docker engine at ${opts.dockerSocket ?? '/var/run/docker.sock'}: ${err.message}`, {
        hint: 'start dockerd (scripts/setup.sh does) or point --docker-socket at it',
      });
    throw e;
  }
  ctx.reporter.info(`devcluster: state in ${stateDir}; this is bbm devcluster, not Marathon`);
  ctx.stdout(`devcluster listening on ${cluster.url}`);
  await new Promise<void>((resolve) => {
    if (ctx.signal?.aborted) resolve();
    ctx.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  ctx.reporter.info('devcluster: stopping (task containers keep running)');
  await cluster.close();
}
