/**
 * `bbm haproxy`: one sync (write and check the file, reload when it changed), or `--watch`: the
 * live bridge, optionally running HAProxy itself (`--run-haproxy`, master-worker mode).
 */
import { isIP } from 'node:net';
import path from 'node:path';
import type { RunContext } from '../context.js';
import { OperationFailedError, UsageError } from '../errors.js';
import { busySlots, checkText, installConfig, parseReloadCommand, runReloadCommand, runtimeCommands } from '../haproxy/adapter.js';
import { ManagedHaproxy } from '../haproxy/managed.js';
import { makeClient, type MarathonConnection } from '../marathon/connection.js';
import { Bridge, RELEVANT_EVENTS, type HaproxyDriver } from './bridge.js';
import { healthReport, startHealthServer, writeHealthFile } from './health.js';
import { checkOutputPath, outputError, prepareOutputFolder } from '../output-file.js';

export interface HaproxyRunOptions {
  marathon: MarathonConnection;
  out: string;
  watch: boolean;
  bind: string;
  group?: string | undefined;
  httpPort: number;
  statsSocket?: string | undefined;
  haproxyBin: string;
  runHaproxy: boolean;
  masterSocket?: string | undefined;
  reloadCommand?: string | undefined;
  healthPort?: number | undefined;
  healthFile?: string | undefined;
  debounceMs: number;
  resyncIntervalSeconds: number;
  stallTimeoutSeconds: number;
  minSlots: number;
  /** Apply task and health events without fetching /v2/apps (default true). */
  applyEvents?: boolean | undefined;
}

export function validateHaproxyOptions(o: HaproxyRunOptions): void {
  const problems: string[] = [];
  if (!isIP(o.bind)) problems.push(`--bind ${JSON.stringify(o.bind)} is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::)`);
  if (o.runHaproxy && o.reloadCommand) problems.push('--run-haproxy and --reload-command both given: bbm either runs HAProxy itself or calls your reload command');
  if (o.runHaproxy && !o.watch) problems.push('--run-haproxy needs --watch (HAProxy lives as long as the bridge)');
  if ((o.healthPort !== undefined || o.healthFile) && !o.watch) problems.push('--health-port/--health-file report a running bridge: add --watch');
  if (!Number.isInteger(o.httpPort) || o.httpPort < 1 || o.httpPort > 65535) problems.push(`--http-port ${o.httpPort} is not a port`);
  if (o.healthPort !== undefined && (!Number.isInteger(o.healthPort) || o.healthPort < 0 || o.healthPort > 65535)) problems.push(`--health-port ${o.healthPort} is not a port (0 = any free port)`);
  for (const [flag, v] of [['--resync-interval', o.resyncIntervalSeconds], ['--stall-timeout', o.stallTimeoutSeconds]] as const) {
    if (!(v > 0)) problems.push(`${flag} ${v} must be a positive number of seconds`);
  }
  if (!(o.debounceMs >= 0)) problems.push(`--debounce ${o.debounceMs} must be ≥ 0 ms`);
  if (!Number.isInteger(o.minSlots) || o.minSlots < 1 || o.minSlots > 1024) problems.push(`--slots ${o.minSlots} must be 1-1024`);
  if (problems.length > 0) throw new UsageError(problems.join('\n'), { hint: 'bbm haproxy --help' });
}

export async function runHaproxy(o: HaproxyRunOptions, ctx: RunContext): Promise<void> {
  validateHaproxyOptions(o);
  const reloadArgv = o.reloadCommand ? parseReloadCommand(o.reloadCommand) : undefined;
  const out = path.resolve(ctx.cwd, o.out);
  const statsSocket = path.resolve(ctx.cwd, o.statsSocket ?? `${out}.sock`);
  const masterSocket = path.resolve(ctx.cwd, o.masterSocket ?? `${out}.master.sock`);
  // A folder, a path under a file or an unwritable place is exit 2 before Marathon is asked.
  await checkOutputPath(out, o.out, '--out');
  await prepareOutputFolder(out, o.out, '--out');
  const client = await makeClient(o.marathon, ctx, { announce: false });
  const { reporter } = ctx;

  let managed: ManagedHaproxy | undefined;
  const stopped = new AbortController();
  const outer = ctx.signal;
  const onOuterAbort = () => stopped.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let managedFailure: Error | undefined;

  const driver: HaproxyDriver = {
    install: (text, opts) => installConfig(out, text, o.haproxyBin, opts).catch((e: unknown) => Promise.reject(outputError(e, out, o.out, '--out'))),
    check: (text) => checkText(text, out, o.haproxyBin).catch((e: unknown) => Promise.reject(outputError(e, out, o.out, '--out'))),
  };
  if (o.runHaproxy) {
    driver.applyFirst = true;
    driver.runtime = (commands) => runtimeCommands(statsSocket, commands);
    driver.busySlots = (backends) => busySlots(statsSocket, backends);
    driver.reload = async () => {
      if (!managed) {
        managed = await ManagedHaproxy.start({ haproxyBin: o.haproxyBin, configFile: out, masterSocket, reporter });
        reporter.info(`haproxy: started in master-worker mode (pid ${managed.pid}, master socket ${masterSocket})`);
        managed.exitHandler = () => {
          managedFailure = new OperationFailedError('the HAProxy started by bbm exited; stopping the bridge', { hint: 'see the haproxy: lines above' });
          stopped.abort();
        };
      } else {
        await managed.reload();
      }
    };
  } else if (reloadArgv) {
    driver.runtime = (commands) => runtimeCommands(statsSocket, commands);
    driver.busySlots = (backends) => busySlots(statsSocket, backends);
    driver.reload = async () => {
      const output = await runReloadCommand(reloadArgv);
      if (output) for (const line of output.split('\n')) reporter.raw(`reload: ${line}`);
    };
  }

  const staleAfterMs = (o.resyncIntervalSeconds * 2 + o.stallTimeoutSeconds) * 1000;
  let writingHealth = Promise.resolve();
  const writeStatus = () => {
    if (!o.healthFile) return;
    const file = path.resolve(ctx.cwd, o.healthFile);
    writingHealth = writingHealth
      .then(() => writeHealthFile(file, healthReport(bridge.status, staleAfterMs)))
      .catch((e: Error) => reporter.warn(`cannot write ${file}: ${e.message}`));
  };
  const bridge: Bridge = new Bridge(
    {
      getApps: () => client.getApps({ embed: ['apps.tasks'] }),
      events: ({ signal, onOpen, onActivity }) =>
        client.events({
          eventTypes: [...RELEVANT_EVENTS],
          signal,
          onOpen,
          onHeartbeat: onActivity,
          // The bridge's own watchdog decides; this only keeps undici from waiting forever.
          idleTimeoutMs: o.stallTimeoutSeconds * 1000 + 5_000,
        }),
      haproxy: driver,
      reporter,
      onStatus: writeStatus,
    },
    {
      bind: o.bind,
      ...(o.group === undefined ? {} : { group: o.group }),
      render: { statsSocket, httpPort: o.httpPort, httpBind: o.bind, minSlots: o.minSlots },
      debounceMs: o.debounceMs,
      resyncIntervalMs: o.resyncIntervalSeconds * 1000,
      stallTimeoutMs: o.stallTimeoutSeconds * 1000,
      applyEvents: o.applyEvents ?? true,
    },
  );

  try {
    if (!o.watch) {
      const result = await bridge.syncOnce('one-shot');
      ctx.stdout(`${out}: ${result.install.status}, ${bridge.status.services} services, ${bridge.status.servers} servers${result.action === 'reload' ? ', reloaded' : ''}`);
      return;
    }
    let health: Awaited<ReturnType<typeof startHealthServer>> | undefined;
    if (o.healthPort !== undefined) {
      health = await startHealthServer('127.0.0.1', o.healthPort, () => healthReport(bridge.status, staleAfterMs));
      reporter.info(`health: http://127.0.0.1:${health.port}/health`);
    }
    const ticker = o.healthFile ? setInterval(writeStatus, 5_000) : undefined;
    try {
      await bridge.watch(stopped.signal);
    } finally {
      clearInterval(ticker);
      if (health) await new Promise((r) => health!.server.close(r));
      await writingHealth;
    }
    if (managedFailure) throw managedFailure;
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    const m = managed as ManagedHaproxy | undefined;
    if (m) {
      reporter.info('haproxy: stopping (soft stop: established connections finish)');
      await m.stop();
    }
    await client.close();
  }
}
