import { UsageError } from '../errors.js';
import { defineCommand } from './define.js';

interface WorkerArgs {
  master: string;
  protocol: 'msgpack' | 'pb';
  name: string;
  'password-file': string;
  basedir: string;
  admin?: string;
  'host-info'?: string;
  'pass-env': string[];
  keepalive: number;
  'max-delay': number;
  'delete-leftover-dirs': boolean;
}

/** HOST:PORT, [IPv6]:PORT. */
export function parseMaster(text: string): { host: string; port: number } {
  // a host name or IPv4 address, or [IPv6]: nothing a URL, a shell or a log line could read otherwise
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    // never echo what may be a password (`user:secret@host:port`)
    const shown = text.includes('@') ? `***${text.slice(text.lastIndexOf('@'))}` : text;
    throw new UsageError(`--master ${JSON.stringify(shown)} is not HOST:PORT (a host name, an IPv4 address or [IPv6], and a port 1-65535)`, {
      hint: "give the master's port, e.g. --master 127.0.0.1:9990 (msgpack) or --protocol pb --master 127.0.0.1:9989; the password goes in --password-file",
    });
  }
  return { host: (m[1] ?? m[2])!, port };
}

export const workerCommand = defineCommand<WorkerArgs>({
  name: 'worker',
  describe: "Run a Buildbot worker that connects to a master's msgpack_experimental_v7 or PB port (no Python needed)",
  options: {
    master: { type: 'string', demandOption: true, describe: "the master's port for --protocol as HOST:PORT (PB: c['protocols']['pb'], msgpack: c['protocols']['msgpack_experimental_v7'])" },
    protocol: { choices: ['msgpack', 'pb'], default: 'msgpack', describe: "how to talk to the master: pb (Twisted's Perspective Broker, what buildbot-worker uses; FileDownload works) or msgpack (msgpack_experimental_v7 over WebSocket)" },
    name: { type: 'string', demandOption: true, describe: "the worker's name in master.cfg" },
    'password-file': { type: 'string', demandOption: true, describe: "file holding the worker's password (never given as an argument)" },
    basedir: { type: 'string', default: '.', describe: "folder of the builders' build folders (and info/admin, info/host)" },
    admin: { type: 'string', describe: 'who runs this worker, shown by the master (default: BASEDIR/info/admin)' },
    'host-info': { type: 'string', describe: 'description of the host, shown by the master (default: BASEDIR/info/host)' },
    'pass-env': { type: 'string', array: true, default: [], describe: "also hand this variable of the worker's environment to steps (repeatable; secret-looking names refused)" },
    keepalive: { type: 'number', default: 60, valid: { nonNegative: 'seconds' }, describe: 'seconds between keepalives (WebSocket pings, or PB keepalive calls); one unanswered by the next drops the connection (0: off)' },
    'max-delay': { type: 'number', default: 30, valid: { positive: 'seconds' }, describe: 'longest wait in seconds between attempts to reconnect' },
    'delete-leftover-dirs': { type: 'boolean', default: false, describe: 'let the master remove build folders of builders it no longer has' },
  },
  examples: [
    ['$0 worker --master 127.0.0.1:9990 --name worker-1 --password-file /run/secrets/worker-password --basedir /var/lib/buildbot/worker', 'connect to the master and run its builds until it says to shut down'],
    ['$0 worker --protocol pb --master 127.0.0.1:9989 --name worker-1 --password-file /run/secrets/worker-password', "connect to the master's PB port, as buildbot-worker does"],
    ['BBM_STEP_TIMEOUT=300 $0 worker --master 127.0.0.1:9990 --name worker-1 --password-file pw', 'steps see BBM_TIMEOUT=300 (and no other variable of the worker but PATH, HOME, LANG…)'],
  ],
  run: async (argv) => {
    const [{ readFileSync }, path, { stepBaseEnv }, { runWorker }, { cliContext }, { packageVersion }] = await Promise.all([
      import('node:fs'),
      import('node:path'),
      import('../worker/environment.js'),
      import('../worker/run.js'),
      import('../cli-context.js'),
      import('../package-root.js'),
    ]);
    const { host, port } = parseMaster(argv.master);
    if (!/^[^:]+$/.test(argv.name)) throw new UsageError(`--name ${JSON.stringify(argv.name)}: a worker name must not be empty or contain ':'`);
    let password: string;
    try {
      password = readFileSync(argv['password-file'], 'utf8').replace(/[\r\n]+$/, '');
    } catch (error) {
      throw new UsageError(`cannot read --password-file ${argv['password-file']}: ${(error as Error).message}`, { hint: "point it at the file holding the worker's password (the secret the master's config names)" });
    }
    if (!password) throw new UsageError(`--password-file ${argv['password-file']} is empty`);
    if (/[\r\n]/.test(password))
      throw new UsageError(`--password-file ${argv['password-file']} holds more than one line`, { hint: 'the file holds the password alone, on one line (a trailing newline is fine)' });
    await runWorker(
      {
        protocol: argv.protocol,
        masterHost: host,
        masterPort: port,
        name: argv.name,
        password,
        basedir: path.resolve(argv.basedir),
        env: stepBaseEnv(process.env, argv['pass-env']),
        version: `${packageVersion()} (bbm worker)`,
        ...(argv.admin !== undefined ? { admin: argv.admin } : {}),
        ...(argv['host-info'] !== undefined ? { host: argv['host-info'] } : {}),
        keepalive: argv.keepalive,
        maxDelay: Math.max(1, argv['max-delay']),
        deleteLeftoverDirs: argv['delete-leftover-dirs'],
      },
      cliContext(),
    );
  },
});
