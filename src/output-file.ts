/**
 * File-system problems with an output path, as usage errors naming the path and the fix: one home
 * for every command that writes a file the user named (generate --out, haproxy --out, …).
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BbmError, OperationFailedError, UsageError } from './errors.js';

/** The error for `error` (from writing `abs`), in the user's terms; not a file-system error → itself. */
export function outputError(error: unknown, abs: string, shown: string, flag: string): unknown {
  if (error instanceof BbmError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const dir = path.dirname(abs);
  switch (code) {
    case 'EISDIR':
      return new UsageError(`${flag} ${shown} is a folder, not a file`, { hint: `name a file, e.g. ${flag} ${path.join(shown, 'master.cfg')}` });
    case 'ENOTDIR':
      return new UsageError(`${flag} ${shown}: a part of the path is a file, not a folder`, { hint: `choose a path whose folders are folders (${dir} cannot be one)` });
    case 'ENOENT':
      return new UsageError(`${flag} ${shown}: the folder ${dir} does not exist`, { hint: `create it (mkdir -p ${dir}) or choose another ${flag}` });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new UsageError(`${flag} ${shown}: not writable here (${code})`, { hint: `choose a ${flag} in a folder you may write to, or fix the permissions of ${dir}` });
    case 'ENOSPC':
    case 'EDQUOT':
      return new OperationFailedError(`cannot write ${shown}: the disk is full (${code})`, { hint: 'free some space and run again' });
    case 'ENAMETOOLONG':
      return new UsageError(`${flag} ${shown}: the path is too long`, { hint: `choose a shorter ${flag}` });
    default:
      return error;
  }
}

/**
 * Before any work: the output path names a file (not a folder) under folders that exist or can be
 * made, where this user may write. Nothing is created here (`prepareOutputFolder` does, after the
 * work), so a run that fails leaves no trace.
 */
export async function checkOutputPath(abs: string, shown: string, flag: string): Promise<void> {
  if (shown.trim() === '') throw new UsageError(`${flag} is empty`, { hint: `name the file to write, e.g. ${flag} generated/master.cfg` });
  const fail = (code: string) => outputError(Object.assign(new Error(code), { code }), abs, shown, flag);
  const info = await stat(abs).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(outputError(e, abs, shown, flag))));
  if (info?.isDirectory()) throw fail('EISDIR');
  // The nearest folder that exists must be a folder and writable.
  let dir = path.dirname(abs);
  for (;;) {
    const d = await stat(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(outputError(e, abs, shown, flag))));
    if (d) {
      if (!d.isDirectory()) throw fail('ENOTDIR');
      await access(dir, constants.W_OK).catch(() => Promise.reject(fail('EACCES')));
      return;
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/** `mkdir -p` of the output's folder, with the same messages. */
export async function prepareOutputFolder(abs: string, shown: string, flag: string): Promise<void> {
  try {
    await mkdir(path.dirname(abs), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw outputError(code === 'EEXIST' ? Object.assign(new Error(code), { code: 'ENOTDIR' }) : error, abs, shown, flag);
  }
}
