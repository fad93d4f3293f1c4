/**
 * The file commands (buildbot/buildbot worker/buildbot_worker/commands/fs.py): the master sends
 * absolute paths; failures are `rc` = errno with a header `<command>: <strerror>: <path>`.
 */
import { cp, lstat, mkdir, readdir, rm, stat, chmod } from 'node:fs/promises';
import path from 'node:path';
import { glob } from '../glob.js';
import { errnoOf, str, type CommandContext, type WorkerCommand } from './context.js';

function paths(ctx: CommandContext): string[] {
  const p = ctx.args.paths;
  if (!Array.isArray(p)) throw new Error("argument 'paths' must be a list");
  return p.map((x, i) => str(x, `paths[${i}]`));
}

function fail(ctx: CommandContext, command: string, target: string, error: unknown): void {
  const { errno, message } = errnoOf(error);
  ctx.send([
    ['header', `${command}: ${message}: ${target}`],
    ['rc', errno],
  ]);
}

export const mkdirCommand: WorkerCommand = async (ctx) => {
  for (const dir of paths(ctx)) {
    try {
      await mkdir(dir, { recursive: true });
      if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    } catch (error) {
      return fail(ctx, 'mkdir', dir, error);
    }
  }
  ctx.send([['rc', 0]]);
};

/** chmod -R u+rwx, so a folder left without permissions can be removed on the second try. */
async function makeWritable(p: string): Promise<void> {
  const s = await lstat(p).catch(() => undefined);
  if (!s || s.isSymbolicLink()) return;
  await chmod(p, (s.mode & 0o7777) | 0o700).catch(() => undefined);
  if (s.isDirectory()) for (const name of await readdir(p).catch(() => [])) await makeWritable(path.join(p, name));
}

export const rmdirCommand: WorkerCommand = async (ctx) => {
  let rc = 0;
  for (const p of paths(ctx)) {
    try {
      await rm(p, { recursive: true, force: true });
    } catch {
      await makeWritable(p);
      try {
        await rm(p, { recursive: true, force: true });
      } catch (error) {
        ctx.send([['header', `rmdir: ${errnoOf(error).message}: ${p}\n`]]);
        rc = 1;
      }
    }
  }
  ctx.send([['rc', rc]]);
};

export const cpdirCommand: WorkerCommand = async (ctx) => {
  const from = str(ctx.args.from_path, 'from_path');
  const to = str(ctx.args.to_path, 'to_path');
  try {
    await mkdir(path.dirname(to), { recursive: true });
    await cp(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, force: true });
    ctx.send([['rc', 0]]);
  } catch (error) {
    ctx.send([
      ['header', `cpdir: ${errnoOf(error).message}: ${from} -> ${to}\n`],
      ['rc', 1],
    ]);
  }
};

export const statCommand: WorkerCommand = async (ctx) => {
  const p = str(ctx.args.path, 'path');
  try {
    const s = await stat(p);
    // Python's tuple(os.stat()): mode, ino, dev, nlink, uid, gid, size, atime, mtime, ctime (whole seconds).
    const t = (ms: number) => Math.floor(ms / 1000);
    ctx.send([
      ['stat', [s.mode, s.ino, s.dev, s.nlink, s.uid, s.gid, s.size, t(s.atimeMs), t(s.mtimeMs), t(s.ctimeMs)]],
      ['rc', 0],
    ]);
  } catch (error) {
    fail(ctx, 'stat', p, error);
  }
};

export const globCommand: WorkerCommand = async (ctx) => {
  const p = str(ctx.args.path, 'path');
  ctx.send([
    ['files', glob(p)],
    ['rc', 0],
  ]);
};

export const listdirCommand: WorkerCommand = async (ctx) => {
  const p = str(ctx.args.path, 'path');
  try {
    ctx.send([
      ['files', await readdir(p)],
      ['rc', 0],
    ]);
  } catch (error) {
    fail(ctx, 'listdir', p, error);
  }
};

export const rmfileCommand: WorkerCommand = async (ctx) => {
  const p = str(ctx.args.path, 'path');
  try {
    if ((await lstat(p)).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    await rm(p);
    ctx.send([['rc', 0]]);
  } catch (error) {
    fail(ctx, 'rmfile', p, error);
  }
};
