/**
 * A real `bbm devcluster` for tests: runs `node dist/cli.js devcluster` as a child process on a
 * temporary state folder and a unique cluster name (which labels every container it starts).
 *
 *   const dc = await startTestDevcluster();      // dc.url → http://127.0.0.1:<port>
 *   await dc.restart();                          // same state, containers adopted; url may change
 *   await dc.destroy();                          // stop, remove its containers and state folder
 *
 * Needs `npm run build` first (npm test does it) and a Docker engine.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface TestDevcluster {
  url: string;
  stateDir: string;
  name: string;
  /** Everything the process printed on stderr so far (for failure messages). */
  log(): string;
  /** SIGTERM, then SIGKILL after killAfterMs (15 s); tells whether the SIGKILL was needed. */
  stop(killAfterMs?: number): Promise<{ killed: boolean }>;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');
const READY = /^devcluster listening on (http:\/\/\S+)$/;

export interface TestDevclusterOptions {
  name?: string;
  /** Extra CLI arguments, e.g. ['--pull', 'never']. */
  args?: string[];
  env?: Record<string, string>;
}

export async function startTestDevcluster(opts: TestDevclusterOptions = {}): Promise<TestDevcluster> {
  const name = opts.name ?? `t-${randomBytes(4).toString('hex')}`;
  const stateDir = await mkdtemp(path.join(os.tmpdir(), `bbm-devcluster-${name}-`));
  let child: ChildProcess | undefined;
  let stderr = '';

  const launch = async (): Promise<string> => {
    const p = spawn(process.execPath, [CLI, 'devcluster', '--host', '127.0.0.1', '--port', '0', '--state-dir', stateDir, '--name', name, ...(opts.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    child = p;
    p.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('bbm devcluster did not print its ready line within 60 s')), 60_000);
      const lines = createInterface({ input: p.stdout! });
      function fail(e: Error) {
        clearTimeout(timer);
        p.kill('SIGKILL');
        reject(new Error(`${e.message}\n--- stderr ---\n${stderr}`));
      }
      lines.on('line', (line) => {
        const m = READY.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      p.once('exit', (code, signal) => fail(new Error(`bbm devcluster exited early (code ${code}, signal ${signal})`)));
    });
  };

  const stop = async (killAfterMs = 15_000) => {
    const p = child;
    child = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return { killed: false };
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      p.kill('SIGKILL');
    }, killAfterMs);
    await exited;
    clearTimeout(timer);
    return { killed };
  };

  const dc: TestDevcluster = {
    url: await launch(),
    stateDir,
    name,
    log: () => stderr,
    stop,
    async restart() {
      await stop();
      dc.url = await launch();
    },
    async destroy() {
      await stop();
      await removeClusterContainers(name);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return dc;
}

function docker(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('docker', args, { timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
}

/** Removes every container labelled with this cluster name (running or not) and the name's presence volume. */
export async function removeClusterContainers(name: string): Promise<void> {
  const list = async () => (await docker(['ps', '-aq', '--filter', `label=bbm.devcluster.name=${name}`])).split('\n').filter(Boolean);
  const ids = await list();
  if (ids.length > 0)
    await docker(['rm', '-f', ...ids]).catch(async (error: unknown) => {
      // the engine may be removing some already (a killed task's container): wait until none is left
      for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) {
        const left = await list();
        if (left.length === 0) return;
        await docker(['rm', '-f', ...left]).catch(() => undefined);
      }
      throw error;
    });
  // left only by an engine that was killed; a clean stop removes it
  await docker(['volume', 'rm', '-f', `bbm-devcluster-${name}`]).catch(() => undefined);
}
