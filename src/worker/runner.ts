/**
 * One command the master started, whatever the protocol: looks the command up, runs it with an output
 * buffer, and reports through a `CommandChannel` — the msgpack session's `update`/`complete` messages,
 * or PB's remote step reference (`update`, `complete`) and file reader/writer.
 */
import { tmpdir } from 'node:os';
import { COMMANDS } from './commands/index.js';
import type { CommandContext } from './commands/context.js';
import type { Env } from './environment.js';
import { OutputBuffer, type Update, type WorkerSettings } from './output.js';

/** How a running command reaches the master. */
export interface CommandChannel {
  /** A batch of updates (`stdout` as line chunks, `rc`, …), in order. */
  update(updates: Update[]): Promise<unknown>;
  /** The command is over: `failure` is null, or why it failed. */
  complete(failure: string | null): Promise<unknown>;
  /** A transfer call in msgpack's names (`update_upload_file_write`, `update_read_file`, …). */
  call(op: string, fields?: Record<string, unknown>): Promise<unknown>;
  /** Resolves once outgoing data is below the high-water mark. */
  drained(): Promise<void>;
  isOpen(): boolean;
}

/** How one connection ended: the master asked to shut down, the process was told to stop, or it was lost. */
export type Outcome = 'shutdown' | 'stopped' | 'lost';
export interface ConnectResult {
  outcome: Outcome;
  /** Whether the worker got as far as being attached to the master (resets the backoff). */
  connected: boolean;
}

export interface Running {
  abort: AbortController;
  buffer: OutputBuffer;
}

export class UnknownCommand extends Error {}

/** Starts a command and returns at once; `done` is called when it has completed (or failed to). */
export function startCommand(opts: {
  id: string;
  name: string;
  args: Record<string, unknown>;
  settings: WorkerSettings;
  baseEnv: Env;
  channel: CommandChannel;
  log: (line: string) => void;
  done: () => void;
}): Running {
  const { id, name, channel, log } = opts;
  const command = COMMANDS[name];
  if (!command) throw new UnknownCommand(`unrecognized WorkerCommand '${name}'`);
  const abort = new AbortController();
  const buffer = new OutputBuffer(opts.settings, (updates) => {
    channel.update(updates).catch((e: Error) => log(`update of command ${id} not acknowledged: ${e.message}`));
  });
  const cctx: CommandContext = {
    args: opts.args,
    send: (u) => buffer.add(u),
    call: async (op, fields = {}) => {
      await channel.drained();
      return channel.call(op, fields);
    },
    interrupted: abort.signal,
    baseEnv: opts.baseEnv,
    tmpdir: tmpdir(),
  };
  const started = Date.now();
  log(`command ${id}: ${name}`);
  void Promise.resolve()
    .then(() => command(cctx))
    .then(
      () => null,
      (error: unknown) => {
        log(`command ${id} (${name}) failed: ${error instanceof Error ? error.message : String(error)}`);
        return error instanceof Error ? error.message : String(error);
      },
    )
    .then((failure) => {
      opts.done();
      if (!abort.signal.aborted) buffer.add([['elapsed', (Date.now() - started) / 1000]]);
      buffer.flush();
      if (!channel.isOpen()) return;
      return channel.complete(failure);
    })
    .catch((e: Error) => log(`completion of command ${id} not acknowledged: ${e.message}`));
  return { abort, buffer };
}
