/** The CLI side of `bbm devcluster`: start, print the one ready line, run until interrupted. */
import path from 'node:path';
import type { RunContext } from '../context.js';
import { UnreachableError } from '../errors.js';
import type { DevclusterOptions } from './index.js';
import { startDevcluster } from './index.js';

export async function runDevcluster(opts: Omit<DevclusterOptions, 'reporter'>, ctx: RunContext): Promise<void> {
  const stateDir = path.resolve(ctx.cwd, opts.stateDir);
  let cluster;
  try {
    cluster = await startDevcluster({ ...opts, stateDir, reporter: ctx.reporter });
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
