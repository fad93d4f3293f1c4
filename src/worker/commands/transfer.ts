/**
 * File transfer (buildbot/buildbot worker/buildbot_worker/commands/transfer.py), block by block through
 * the master: `upload_file` and `upload_directory` write to the master's writer, `download_file`
 * reads from its reader. Each ends with `rc` (0, or 1 with a `stderr` line) like buildbot-worker.
 */
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { spawn } from 'node:child_process';
import { pack } from 'tar-fs';
import { str, type CommandContext, type WorkerCommand } from './context.js';

function limit(v: unknown): number | undefined {
  return typeof v === 'number' && v >= 0 ? v : undefined;
}

function blocksize(ctx: CommandContext): number {
  const b = ctx.args.blocksize;
  if (typeof b !== 'number' || b <= 0) throw new Error("argument 'blocksize' must be a positive number");
  return b;
}

function finished(ctx: CommandContext, rc: number, stderr: string | undefined): void {
  const updates: [string, unknown][] = [['rc', rc]];
  if (stderr) updates.push(['stderr', stderr]);
  ctx.send(updates);
}

/** Sends a file's bytes in blocks with `op`; stops at maxsize (rc 1) or on interruption. */
async function sendBlocks(ctx: CommandContext, fh: FileHandle, name: string, op: string, maxsize: number | undefined): Promise<{ rc: number; stderr?: string }> {
  const size = blocksize(ctx);
  let remaining = maxsize;
  const buf = Buffer.allocUnsafe(size);
  for (;;) {
    if (ctx.interrupted.aborted) return { rc: 1 };
    let want = size;
    if (remaining !== undefined && want > remaining) want = remaining;
    if (want <= 0) {
      // Anything left past maxsize is not sent.
      const { bytesRead } = await fh.read(buf, 0, 1);
      return bytesRead > 0 ? { rc: 1, stderr: `Maximum filesize reached, truncating file '${name}'` } : { rc: 0 };
    }
    const { bytesRead } = await fh.read(buf, 0, want);
    if (bytesRead === 0) return { rc: 0 };
    if (remaining !== undefined) remaining -= bytesRead;
    await ctx.call(op, { args: Buffer.from(buf.subarray(0, bytesRead)) });
  }
}

export const uploadFileCommand: WorkerCommand = async (ctx) => {
  const file = str(ctx.args.path, 'path');
  const keepstamp = ctx.args.keepstamp === true;
  let fh: FileHandle | undefined;
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    fh = await open(file, 'r');
  } catch {
    fh = undefined;
  }
  ctx.send([['header', `sending ${file}\n`]]);
  if (!fh) {
    await ctx.call('update_upload_file_close');
    return finished(ctx, 1, `Cannot open file '${file}' for upload`);
  }
  let result: { rc: number; stderr?: string };
  let times: { atime: number; mtime: number };
  try {
    const s = await fh.stat();
    times = { atime: s.atimeMs / 1000, mtime: s.mtimeMs / 1000 };
    result = await sendBlocks(ctx, fh, file, 'update_upload_file_write', limit(ctx.args.maxsize));
  } catch (error) {
    await ctx.call('update_upload_file_close').catch(() => undefined);
    finished(ctx, 1, undefined);
    throw error;
  } finally {
    await fh.close();
  }
  await ctx.call('update_upload_file_close');
  if (keepstamp) await ctx.call('update_upload_file_utime', { access_time: times.atime, modified_time: times.mtime });
  finished(ctx, result.rc, result.stderr);
};

/** A tar of `dir`'s contents, plain, gzip or bzip2 (the master unpacks it with Python's tarfile). */
async function archive(dir: string, compress: unknown, into: string): Promise<void> {
  const s = await stat(dir);
  if (!s.isDirectory()) throw Object.assign(new Error(`not a directory: ${dir}`), { code: 'ENOTDIR' });
  const tar = pack(dir);
  if (compress === 'gz') return pipeline(tar, createGzip(), createWriteStream(into));
  if (compress === 'bz2') {
    const bzip2 = spawn('bzip2', ['-c'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const exited = new Promise<void>((resolve, reject) => {
      bzip2.on('error', (e) => reject(new Error(`compress='bz2' needs the bzip2 program: ${e.message}`)));
      bzip2.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`bzip2 exited ${code}`))));
    });
    await Promise.all([pipeline(tar, bzip2.stdin), pipeline(bzip2.stdout, createWriteStream(into)), exited]);
    return;
  }
  return pipeline(tar, createWriteStream(into));
}

export const uploadDirectoryCommand: WorkerCommand = async (ctx) => {
  const dir = str(ctx.args.path, 'path');
  const tmp = await mkdtemp(path.join(ctx.tmpdir, 'bbm-transfer-'));
  try {
    const tarball = path.join(tmp, 'upload.tar');
    await archive(dir, ctx.args.compress, tarball);
    ctx.send([['header', `sending ${dir}\n`]]);
    const fh = await open(tarball, 'r');
    let result: { rc: number; stderr?: string };
    try {
      result = await sendBlocks(ctx, fh, dir, 'update_upload_directory_write', limit(ctx.args.maxsize));
    } finally {
      await fh.close();
    }
    try {
      await ctx.call('update_upload_directory_unpack');
    } catch (error) {
      finished(ctx, 1, undefined);
      throw error;
    }
    finished(ctx, result.rc, result.stderr);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
};

export const downloadFileCommand: WorkerCommand = async (ctx) => {
  const file = str(ctx.args.path, 'path');
  const size = blocksize(ctx);
  let remaining = limit(ctx.args.maxsize);
  const mode = typeof ctx.args.mode === 'number' ? ctx.args.mode : undefined;
  let rc = 0;
  let stderr: string | undefined;
  let out: FileHandle | undefined;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    out = await open(file, 'w');
    if (mode !== undefined) await chmod(file, mode);
  } catch {
    await out?.close();
    out = undefined;
    rc = 1;
    stderr = `Cannot open file '${file}' for download`;
  }
  let failure: unknown;
  try {
    while (out && !ctx.interrupted.aborted) {
      let want = size;
      if (remaining !== undefined && want > remaining) want = remaining;
      if (want <= 0) {
        rc = 1;
        stderr = `Maximum filesize reached, truncating file '${file}'`;
        break;
      }
      const data = await ctx.call('update_read_file', { length: want });
      const bytes = data instanceof Uint8Array ? data : typeof data === 'string' ? Buffer.from(data, 'utf8') : new Uint8Array();
      if (bytes.length === 0) break;
      if (remaining !== undefined) remaining -= bytes.length;
      await out.write(bytes);
    }
    if (ctx.interrupted.aborted) rc = 1;
  } catch (error) {
    failure = error;
  } finally {
    await out?.close();
  }
  await ctx.call('update_read_file_close').catch(() => undefined);
  finished(ctx, failure ? 1 : rc, stderr);
  if (failure) throw failure;
};

