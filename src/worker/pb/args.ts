/**
 * Command arguments as a master sends them over PB, made into what the commands take (the shape the
 * master itself makes for msgpack_experimental_v7): over PB the master sends paths relative to the
 * builder's folder and the worker joins them (buildbot/buildbot worker/buildbot_worker/pb.py
 * ProtocolCommandPb.protocol_args_setup; the master's msgpack side does the same in
 * master/buildbot/worker/protocols/msgpack.py remoteStartCommand). Pure.
 */
import path from 'node:path';

/** Python's os.path.join: an absolute part discards everything before it. */
export function pyJoin(...parts: string[]): string {
  let out = '';
  for (const p of parts) {
    if (p.startsWith('/')) out = p;
    else if (out === '' || out.endsWith('/')) out += p;
    else out += `/${p}`;
  }
  return out;
}

/** Python's os.path.expanduser for `~` and `~/…` (`~user` is left alone, as when there is no such user). */
export function expandUser(p: string, home: string | undefined): string {
  if (!home || !(p === '~' || p.startsWith('~/'))) return p;
  return (home.endsWith('/') ? home.slice(0, -1) : home) + p.slice(1) || '/';
}

const text = (v: unknown, name: string): string => {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  throw new Error(`argument '${name}' must be a string`);
};

/** The arguments of `command` for a builder whose folder is `builderDir`. */
export function pbArgs(command: string, raw: Record<string, unknown>, builderDir: string, home: string | undefined): Record<string, unknown> {
  const args: Record<string, unknown> = { ...raw };
  const join = (...p: string[]) => pyJoin(builderDir, ...p);
  const dirs = (v: unknown) => (Array.isArray(v) ? v.map((d, i) => join(text(d, `dir[${i}]`))) : [join(text(v, 'dir'))]);
  switch (command) {
    case 'mkdir':
    case 'rmdir':
      args.paths = dirs(raw.dir);
      delete args.dir;
      break;
    case 'cpdir':
      args.from_path = join(text(raw.fromdir, 'fromdir'));
      args.to_path = join(text(raw.todir, 'todir'));
      delete args.fromdir;
      delete args.todir;
      break;
    case 'stat':
      args.path = join(raw.workdir === undefined || raw.workdir === null ? '' : text(raw.workdir, 'workdir'), text(raw.file, 'file'));
      delete args.file;
      break;
    case 'glob':
    case 'rmfile':
      args.path = join(text(raw.path, 'path'));
      break;
    case 'listdir':
      args.path = join(text(raw.dir, 'dir'));
      delete args.dir;
      break;
    case 'shell':
      args.workdir = join(text(raw.workdir, 'workdir'));
      break;
    case 'uploadFile':
    case 'uploadDirectory':
      args.path = join(text(raw.workdir, 'workdir'), expandUser(text(raw.workersrc, 'workersrc'), home));
      delete args.workdir;
      delete args.workersrc;
      break;
    case 'downloadFile':
      args.path = join(text(raw.workdir, 'workdir'), expandUser(text(raw.workerdest, 'workerdest'), home));
      delete args.workdir;
      delete args.workerdest;
      break;
  }
  for (const k of ['want_stdout', 'want_stderr']) if (k in args) args[k] = args[k] === 1 || args[k] === true;
  return args;
}

/** The builder folder of `builddir` under the worker's base folder (pb.py setBuilddir). */
export function builderFolder(basedir: string, builddir: string): string {
  return path.resolve(pyJoin(basedir, builddir));
}
