import type { Env } from '../environment.js';
import type { Update } from '../output.js';

/** What a worker command gets: its arguments, a way to report, and the master's file transfer calls. */
export interface CommandContext {
  args: Record<string, unknown>;
  /** Status updates (`stdout`, `header`, `rc`, …) through the command's output buffer. */
  send(updates: Update[]): void;
  /** A request to the master on behalf of this command (`update_upload_file_write`, …). */
  call(op: string, fields?: Record<string, unknown>): Promise<unknown>;
  /** Aborted when the master interrupts the command, or the worker stops. */
  interrupted: AbortSignal;
  /** The environment steps start from. */
  baseEnv: Env;
  /** Where temporary files go (upload archives). */
  tmpdir: string;
}

export type WorkerCommand = (ctx: CommandContext) => Promise<void>;

/** An errno-style failure for the master: buildbot-worker reports `rc` = errno and a header line. */
export function errnoOf(error: unknown): { errno: number; message: string } {
  const e = error as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  return { errno: ERRNO[code] ?? 1, message: STRERROR[code] ?? e?.message ?? String(error) };
}

// Linux errno numbers and messages (what Python's OSError carries), for the codes file commands meet.
const ERRNO: Record<string, number> = { EPERM: 1, ENOENT: 2, EIO: 5, EACCES: 13, EEXIST: 17, EXDEV: 18, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENOSPC: 28, EROFS: 30, ENAMETOOLONG: 36, ENOTEMPTY: 39, ELOOP: 40 };
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  EACCES: 'Permission denied',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ENAMETOOLONG: 'File name too long',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
};

export function str(v: unknown, name: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  throw new Error(`argument '${name}' must be a string`);
}
