/**
 * The one adapter to HAProxy: check a configuration with `haproxy -c`, put it in place
 * atomically (a rejected one is kept aside), talk to the runtime API and the master CLI over
 * their UNIX sockets, run an external reload command as an argv list (never through a shell).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import path from 'node:path';
import { OperationFailedError, UnreachableError, UsageError } from '../errors.js';

export interface CheckResult {
  ok: boolean;
  /** HAProxy's own words (alerts and warnings), trimmed. */
  output: string;
}

export function checkConfig(file: string, haproxyBin = 'haproxy'): Promise<CheckResult> {
  return new Promise((resolve, reject) => {
    execFile(haproxyBin, ['-c', '-f', file], { timeout: 60_000, maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`
        .split('\n')
        .filter((l) => l.trim() !== '' && !/^\[NOTICE\]|^Configuration file is valid/.test(l))
        .join('\n');
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new UsageError(`cannot run ${JSON.stringify(haproxyBin)} to check the configuration: not found`, { hint: 'install HAProxy (apt-get install haproxy) or pass --haproxy-bin PATH' }));
        return;
      }
      resolve({ ok: !error, output });
    });
  });
}

/** `haproxy -c` on a text (written to a temporary file beside `out`, removed after). */
export async function checkText(text: string, out: string, haproxyBin = 'haproxy'): Promise<CheckResult> {
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.check.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  try {
    return await checkConfig(tmp, haproxyBin);
  } finally {
    await rm(tmp, { force: true });
  }
}

export type InstallResult =
  | { status: 'unchanged' }
  | { status: 'installed' }
  | { status: 'rejected'; rejectedFile: string; output: string };

/**
 * Writes `text` next to `out`, checks it with `haproxy -c`, and renames it over `out` (atomic on
 * one file system). A configuration HAProxy refuses is moved to `<out>.rejected` and `out` is
 * left as it was, so the running HAProxy and any restart keep the last good one. `check: false`
 * skips `haproxy -c` (1.7 s for 1000 apps here): only for a text whose skeleton was checked
 * already and whose server lines are validated IP:port pairs.
 */
export async function installConfig(out: string, text: string, haproxyBin = 'haproxy', options: { check?: boolean } = {}): Promise<InstallResult> {
  const current = await readFile(out, 'utf8').catch(() => undefined);
  if (current === text) return { status: 'unchanged' };
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  try {
    if (options.check === false) {
      await rename(tmp, out);
      return { status: 'installed' };
    }
    const check = await checkConfig(tmp, haproxyBin);
    if (!check.ok) {
      const rejectedFile = `${out}.rejected`;
      await rename(tmp, rejectedFile);
      return { status: 'rejected', rejectedFile, output: check.output.split(tmp).join(rejectedFile) };
    }
    await rename(tmp, out);
    return { status: 'installed' };
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Sends one command on an HAProxy CLI socket (stats socket or master socket) and returns its
 * answer. `;quit` makes the master CLI close after answering, as the stats socket does anyway.
 */
export function cliCommand(socketPath: string, command: string, timeoutMs = 10_000): Promise<string> {
  if (/[\n\r]/.test(command)) return Promise.reject(new UsageError(`HAProxy CLI command ${JSON.stringify(command)} may not contain newlines`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection(socketPath);
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.end(`${command};quit\n`));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new UnreachableError(`HAProxy socket ${socketPath}: ${error.message}`, { hint: 'is HAProxy running with this configuration?', cause: error }));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

const CLI_FAILURE = /^(No such|Unknown|Require|Invalid|Can't|Cannot|Permission denied|.*: (invalid|unknown|not found))/im;

/**
 * Runs runtime API commands in order, up to 100 per connection (`a; b; c`: a resync of many
 * apps must not open thousands of connections); throws naming every command HAProxy refused.
 */
export async function runtimeCommands(statsSocket: string, commands: readonly string[]): Promise<void> {
  const refused: string[] = [];
  for (let i = 0; i < commands.length; i += 100) {
    const batch = commands.slice(i, i + 100);
    for (const c of batch) if (/[\n\r;]/.test(c)) throw new UsageError(`HAProxy CLI command ${JSON.stringify(c)} may not contain ; or newlines`);
    const answer = await cliCommand(statsSocket, batch.join('; '));
    for (const line of answer.split('\n')) if (CLI_FAILURE.test(line.trim())) refused.push(line.trim());
  }
  if (refused.length > 0) throw new OperationFailedError(`HAProxy refused ${refused.length} runtime command(s): ${refused.slice(0, 5).join(' | ')}`);
}

/**
 * Parses `show servers conn` (one or more dumps): for each backend, the slots (`sN` → index N-1)
 * with a connection in use (`used_cur` > 0). The columns are found by the header's names, which
 * differ between versions only in the per-thread columns at the end.
 */
export function parseBusySlots(text: string): Map<string, Set<number>> {
  const busy = new Map<string, Set<number>>();
  let usedAt = -1;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      usedAt = line.slice(1).trim().split(/\s+/).indexOf('used_cur');
      continue;
    }
    const fields = line.trim().split(/\s+/);
    const m = /^(.+)\/s(\d+)$/.exec(fields[0] ?? '');
    if (!m || usedAt < 0) continue;
    const used = Number(fields[usedAt]);
    if (!(used > 0)) continue;
    const backend = m[1]!;
    const set = busy.get(backend) ?? new Set<number>();
    set.add(Number(m[2]) - 1);
    busy.set(backend, set);
  }
  return busy;
}

/**
 * The slots whose server connections are in use, from the runtime API: of `backends`, or of every
 * backend when omitted. Throws when HAProxy does not answer with the dump.
 */
export async function busySlots(statsSocket: string, backends?: readonly string[]): Promise<Map<string, Set<number>>> {
  const batches = backends === undefined ? [['show servers conn']] : [];
  for (let i = 0; backends && i < backends.length; i += 100) batches.push(backends.slice(i, i + 100).map((b) => `show servers conn ${b}`));
  const busy = new Map<string, Set<number>>();
  for (const batch of batches) {
    for (const c of batch) if (/[\n\r;]/.test(c)) throw new UsageError(`HAProxy CLI command ${JSON.stringify(c)} may not contain ; or newlines`);
    const answer = await cliCommand(statsSocket, batch.join('; '));
    if (!answer.includes('used_cur')) throw new OperationFailedError(`HAProxy did not list its server connections: ${JSON.stringify(answer.trim().slice(0, 200))}`);
    for (const [backend, slots] of parseBusySlots(answer)) busy.set(backend, slots);
  }
  return busy;
}

/**
 * `--reload-command`: a JSON array of strings (`["systemctl","reload","haproxy"]`), or words split
 * on whitespace. Quotes and backslashes are refused in the split form, because no shell will
 * interpret them: use the JSON form for an argument with spaces.
 */
export function parseReloadCommand(value: string, source = '--reload-command'): string[] {
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new UsageError(`${source}: not valid JSON: ${(error as Error).message}`, { hint: 'e.g. --reload-command \'["systemctl","reload","haproxy"]\'' });
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string' && a.length > 0 && !a.includes('\0'))) {
      throw new UsageError(`${source}: the JSON form must be a non-empty array of non-empty strings`, { hint: 'e.g. ["systemctl","reload","haproxy"]' });
    }
    return parsed as string[];
  }
  if (/["'\\`]/.test(trimmed)) {
    throw new UsageError(`${source} ${JSON.stringify(value)} has quotes or backslashes, but it is never run through a shell`, {
      hint: 'write it as a JSON array, e.g. --reload-command \'["/usr/local/bin/reload", "arg with spaces"]\'',
    });
  }
  const argv = trimmed.split(/\s+/).filter(Boolean);
  if (argv.length === 0) throw new UsageError(`${source} is empty`, { hint: 'e.g. --reload-command "systemctl reload haproxy"' });
  return argv;
}

/** Runs the reload command (argv, no shell); a non-zero exit is an OperationFailedError with its output. */
export function runReloadCommand(argv: readonly string[], timeoutMs = 60_000): Promise<string> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(file!, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error) reject(new OperationFailedError(`reload command ${JSON.stringify(argv)} failed: ${error.message}${output ? `\n${output}` : ''}`));
      else resolve(output);
    });
  });
}
