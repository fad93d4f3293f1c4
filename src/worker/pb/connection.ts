/**
 * One PB connection to a master's `c['protocols']['pb']` port, as buildbot-worker makes it
 * (buildbot/buildbot worker/buildbot_worker/pb.py, base.py, pbutil.py; the master's side is
 * master/buildbot/worker/protocols/pb.py):
 *
 * 1. TCP, Banana dialect `pb`, PB version 6 (broker.ts);
 * 2. login through the root object (twisted/spread/pb.py PBClientFactory): `login(name)` answers a
 *    challenge and a challenger, `respond(md5(md5(password) + challenge), bot)` answers the
 *    perspective — the master's Connection for this worker; `bot` is what the master calls;
 * 3. the master calls the bot's `print`, `getWorkerInfo`, `setBuilderList([(name, builddir)…])`
 *    (answered with one object per builder), `shutdown`; and per builder `startCommand(stepref,
 *    stepId, command, args)`, `interruptCommand(stepId, why)`, `startBuild`, `print`;
 * 4. a command reports through `stepref.update([[{key: value}, 0], …])` and `stepref.complete(failure)`;
 *    transfers through the `writer` (`write`, `utime`, `close`, `unpack`) or `reader` (`read`,
 *    `close`) in its arguments;
 * 5. the worker calls `keepalive` on the perspective every `--keepalive` seconds; one unanswered by the
 *    next drops the connection.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import type { RunContext } from '../../context.js';
import { COMMAND_VERSION, COMMANDS } from '../commands/index.js';
import { workerInfo } from '../info.js';
import { DEFAULT_SETTINGS, type Update } from '../output.js';
import type { WorkerOptions } from '../run.js';
import { startCommand, type CommandChannel, type ConnectResult, type Outcome, type Running } from '../runner.js';
import { builderFolder, pbArgs, pyJoin } from './args.js';
import { Broker, LocalObject, PbError, PbRemoteError, RemoteReference } from './broker.js';
import { CopyableFailure, Tuple } from './jelly.js';

/** buildbot-worker's answer to `respond` (twisted/spread/pb.py respond). */
export function challengeResponse(challenge: Buffer, password: string): Buffer {
  const hashed = createHash('md5').update(Buffer.from(password, 'utf8')).digest();
  return createHash('md5').update(hashed).update(challenge).digest();
}

/** A batch of line-split updates in PB's form: one `[{key: value}, 0]` each, text as text (the master splits lines again). */
export function pbUpdates(updates: Update[]): [Record<string, unknown>, number][] {
  return updates.map(([key, value]) => {
    if (key === 'stdout' || key === 'stderr' || key === 'header') return [{ [key]: (value as [string])[0] }, 0];
    if (key === 'log') {
      const [name, chunk] = value as [string, [string]];
      return [{ log: new Tuple(name, chunk[0]) }, 0];
    }
    return [{ [key]: value }, 0];
  });
}

const str = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

export function connectPbOnce(opts: WorkerOptions, ctx: RunContext, log: (l: string) => void): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const where = `${opts.masterHost.includes(':') ? `[${opts.masterHost}]` : opts.masterHost}:${opts.masterPort}`;
    const socket = net.connect({ host: opts.masterHost, port: opts.masterPort });
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const broker = new Broker(socket, log);
    let outcome: Outcome = 'lost';
    let connected = false;
    let keepaliveTimer: NodeJS.Timeout | undefined;
    /** Running commands by builder name and step id. */
    const running = new Map<string, Running>();
    const builders = new Map<string, { object: LocalObject; builddir: string }>();

    const onStop = () => {
      outcome = 'stopped';
      log('stopping: interrupting running commands and closing the connection');
      for (const r of running.values()) r.abort.abort();
      socket.end();
      setTimeout(() => socket.destroy(), 5000).unref();
    };
    ctx.signal?.addEventListener('abort', onStop, { once: true });

    const printed = (args: unknown[], kw: Record<string, unknown>) => str(kw.message ?? args[0]);

    const builderObject = (name: string) =>
      new LocalObject(`builder ${name}`, {
        print: (args, kw) => {
          log(`message from the master for builder ${name}: ${printed(args, kw)}`);
          return null;
        },
        setMaster: () => null,
        startBuild: () => null,
        startCommand: (args, _kw, call) => {
          const [stepref, stepIdRaw, commandRaw, rawArgs] = args;
          if (!(stepref instanceof RemoteReference) || !rawArgs || typeof rawArgs !== 'object' || Array.isArray(rawArgs)) throw new PbError('startCommand needs (stepref, stepId, command, args)');
          const stepId = str(stepIdRaw);
          const command = str(commandRaw);
          const key = `${name}\0${stepId}`;
          const b = builders.get(name);
          if (!b) throw new PbError(`no builder ${name}`);
          if (!COMMANDS[command]) throw new PbError(`(command ${stepId}): unrecognized WorkerCommand '${command}'`, 'buildbot_worker.pb.UnknownCommand');
          const raw = rawArgs as Record<string, unknown>;
          const writer = raw.writer instanceof RemoteReference ? raw.writer : undefined;
          const reader = raw.reader instanceof RemoteReference ? raw.reader : undefined;
          const refs = [stepref, writer, reader].filter((r): r is RemoteReference => r !== undefined);
          const commandArgs = pbArgs(command, raw, builderFolder(opts.basedir, b.builddir), opts.env.HOME);
          delete commandArgs.writer;
          delete commandArgs.reader;
          const transfer = (op: string, fields: Record<string, unknown>): Promise<unknown> => {
            switch (op) {
              case 'update_upload_file_write':
              case 'update_upload_directory_write':
                return need(writer, op).callRemote('write', [fields.args]);
              case 'update_upload_file_close':
                return need(writer, op).callRemote('close');
              case 'update_upload_file_utime':
                return need(writer, op).callRemote('utime', [new Tuple(fields.access_time, fields.modified_time)]);
              case 'update_upload_directory_unpack':
                return need(writer, op).callRemote('unpack');
              case 'update_read_file':
                return need(reader, op).callRemote('read', [fields.length]);
              case 'update_read_file_close':
                return need(reader, op).callRemote('close');
              default:
                return Promise.reject(new Error(`no PB call for ${op}`));
            }
          };
          const channel: CommandChannel = {
            update: (updates) => stepref.callRemote('update', [pbUpdates(updates)]),
            complete: (failure) => stepref.callRemote('complete', [failure === null ? null : new CopyableFailure('builtins.Exception', failure)]),
            call: transfer,
            drained: () => broker.drained(),
            isOpen: () => broker.isOpen,
          };
          const prior = running.get(key);
          if (prior) prior.abort.abort();
          const r = startCommand({
            id: stepId,
            name: command,
            args: commandArgs,
            settings: DEFAULT_SETTINGS,
            baseEnv: opts.env,
            channel,
            log,
            done: () => {
              if (running.get(key) === r) running.delete(key);
              // the master drops its RemoteCommand once complete is acknowledged; ours go after a moment
              setTimeout(() => refs.forEach((ref) => ref.release()), 1000).unref();
            },
          });
          running.set(key, r);
          // kept until the command is over (released in done)
          for (const ref of refs) call.retain(ref);
          return null;
        },
        interruptCommand: (args) => {
          const stepId = str(args[0]);
          const r = running.get(`${name}\0${stepId}`);
          log(`asked to interrupt command ${stepId}: ${str(args[1])}${r ? '' : ' (not running)'}`);
          if (r) {
            r.buffer.flush();
            r.abort.abort();
          }
          return null;
        },
        shutdown: () => shutdown(),
      });

    const shutdown = () => {
      log('the master asked this worker to shut down');
      outcome = 'shutdown';
      // Like buildbot-worker: answer first, then go.
      setTimeout(() => socket.end(), 200);
      return null;
    };

    const info = () => workerInfo({ basedir: opts.basedir, env: opts.env, version: opts.version, admin: opts.admin, host: opts.host, deleteLeftoverDirs: opts.deleteLeftoverDirs });
    const bot = new LocalObject('bot', {
      print: (args, kw) => {
        log(`message from the master: ${printed(args, kw)}`);
        return null;
      },
      getWorkerInfo: () => info(),
      getVersion: () => opts.version,
      getCommands: () => Object.fromEntries(Object.keys(COMMANDS).map((n) => [n, COMMAND_VERSION])),
      setBuilderList: (args) => {
        const wanted = args[0];
        if (!Array.isArray(wanted)) throw new PbError('setBuilderList needs a list of (name, builddir)');
        const result: Record<string, LocalObject> = {};
        const dirs = new Set(['info']);
        for (const pair of wanted) {
          if (!Array.isArray(pair) || pair.length !== 2) throw new PbError('setBuilderList needs a list of (name, builddir)');
          const [name, builddir] = [str(pair[0]), str(pair[1])];
          let b = builders.get(name);
          if (!b) builders.set(name, (b = { object: builderObject(name), builddir }));
          else if (b.builddir !== builddir) {
            log(`changing builddir for builder ${name} from ${b.builddir} to ${builddir}`);
            b.builddir = builddir;
          }
          mkdirSync(builderFolder(opts.basedir, builddir), { recursive: true });
          dirs.add(builddir);
          result[name] = b.object;
        }
        const names = new Set(wanted.map((p) => str((p as unknown[])[0])));
        for (const name of [...builders.keys()]) if (!names.has(name)) builders.delete(name);
        for (const entry of readdirSync(opts.basedir)) {
          const full = pyJoin(opts.basedir, entry);
          if (dirs.has(entry) || !statSync(full, { throwIfNoEntry: false })?.isDirectory()) continue;
          if (opts.deleteLeftoverDirs) {
            log(`deleting folder '${entry}', which the master does not use`);
            try {
              rmSync(full, { recursive: true, force: true });
            } catch (error) {
              log(`cannot remove folder '${entry}': ${(error as Error).message}`);
            }
          } else log(`a leftover folder '${entry}' is not used by the master: it can be deleted`);
        }
        return result;
      },
      shutdown: () => shutdown(),
    });

    const login = async () => {
      await broker.ready;
      const root = broker.root();
      const challenge = await root.callRemote('login', [Buffer.from(opts.name, 'utf8')]);
      if (!Array.isArray(challenge) || !Buffer.isBuffer(challenge[0]) || !(challenge[1] instanceof RemoteReference)) throw new Error('the master answered login with something other than a challenge');
      const challenger = challenge[1];
      let perspective: unknown;
      try {
        perspective = await challenger.callRemote('respond', [challengeResponse(challenge[0], opts.password), bot]);
      } finally {
        challenger.release();
      }
      if (!(perspective instanceof RemoteReference)) throw new Error('the master answered the login without a perspective');
      return perspective;
    };

    socket.on('connect', () => log(`connected to ${where}, logging in over PB`));
    socket.on('data', (chunk) => broker.dataReceived(chunk));
    socket.on('error', (error) => log(`connection error: ${error.message}`));
    socket.on('close', () => {
      if (keepaliveTimer) clearInterval(keepaliveTimer);
      ctx.signal?.removeEventListener('abort', onStop);
      broker.connectionLost();
      if (connected) log('disconnected from the master');
      for (const r of running.values()) r.abort.abort();
      resolve({ outcome, connected });
    });

    login().then(
      (perspective) => {
        connected = true;
        log(`logged in to the master at ${where} as ${opts.name} (PB)`);
        if (opts.keepalive > 0) {
          let awaiting = false;
          keepaliveTimer = setInterval(() => {
            if (awaiting) {
              log(`no answer to a keepalive within ${opts.keepalive} s: dropping the connection`);
              socket.destroy();
              return;
            }
            awaiting = true;
            perspective.callRemote('keepalive').then(
              () => {
                awaiting = false;
              },
              (e: Error) => log(`keepalive failed: ${e.message}`),
            );
          }, opts.keepalive * 1000);
        }
      },
      (error: Error) => {
        if (!broker.isOpen) return;
        if (error instanceof PbRemoteError && /UnauthorizedLogin/.test(error.remoteType + error.message)) {
          log(`the master refused worker ${JSON.stringify(opts.name)}: check the worker name and its password file against master.cfg`);
        } else {
          log(`login failed: ${error.message}: is ${where} the master's PB port?`);
        }
        socket.destroy();
      },
    );
  });
}

function need(ref: RemoteReference | undefined, op: string): RemoteReference {
  if (!ref) throw new Error(`${op}: the master sent no file ${op.includes('read') ? 'reader' : 'writer'} with this command`);
  return ref;
}
