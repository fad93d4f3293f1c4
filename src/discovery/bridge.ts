/**
 * The HAProxy bridge: Marathon's apps → haproxy.cfg → the running HAProxy.
 *
 * `syncOnce` is one full pass (fetch apps, build, render, check and install, apply). `watch`
 * keeps it live: it follows /v2/events, debounces bursts into one sync, resyncs fully on every
 * (re)connect and every `resyncIntervalMs`, reconnects when the stream ends, breaks, or carries
 * no byte (event or heartbeat) for `stallTimeoutMs`, and applies only what changed (runtime API
 * for task changes, a reload for anything structural). Its status (last successful sync…) is
 * kept in `status` for the health endpoint/file.
 *
 * Task and health events (`applyEvents`) skip the fetch: they are applied to the copy of the apps
 * the last full sync read (discovery/events.ts), only the changed apps' servers are worked out
 * again, and the slot changes go to HAProxy's runtime API at once; the file is rewritten from the
 * same model shortly after. An event the model cannot take alone falls back to a full sync.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AppInfo, MarathonEvent } from '../marathon/types.js';
import type { Reporter } from '../reporter.js';
import { OperationFailedError } from '../errors.js';
import type { CheckResult, InstallResult } from '../haproxy/adapter.js';
import { findRefusedApps } from '../haproxy/culprits.js';
import { isAppRecord } from './model.js';
import { planApply, slotCommands } from '../haproxy/plan.js';
import { assignSlots, hasNewcomer, haproxyAddress, renderConfig, serverLine, type BusySlots, type Rendered, type RenderOptions } from '../haproxy/render.js';
import { applyEvent, modelOf, TASK_EVENTS, type TaskModel } from './events.js';
import { buildServices, type Service } from '../haproxy/services.js';

/** Events that can change what HAProxy should route (others are ignored, and filtered server-side). */
export const RELEVANT_EVENTS = [
  'api_post_event',
  'status_update_event',
  'health_status_changed_event',
  'instance_health_changed_event',
  'instance_changed_event',
  'app_terminated_event',
  'deployment_success',
  'deployment_failed',
  'deployment_step_success',
  'group_change_success',
] as const;

const STARTING = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING']);

/**
 * Events that take traffic away from a task (it is being killed, died, or turned unhealthy) are
 * synced at once, without the debounce: a task that is being killed keeps serving only for its
 * kill grace period, and HAProxy must stop sending it requests before then. Additions can wait.
 */
export function isUrgent(event: MarathonEvent): boolean {
  switch (event.eventType) {
    case 'status_update_event':
      return typeof event.taskStatus === 'string' && !STARTING.has(event.taskStatus);
    case 'health_status_changed_event':
      return event.alive === false;
    case 'instance_health_changed_event':
      return event.healthy === false;
    case 'instance_changed_event':
      return typeof event.condition === 'string' && !['Created', 'Staging', 'Starting', 'Running', 'Provisioned', 'Scheduled'].includes(event.condition);
    case 'app_terminated_event':
      return true;
    default:
      return false;
  }
}

export interface EventStreamHooks {
  signal: AbortSignal;
  onOpen: () => void;
  /** Any byte: an event or a heartbeat. */
  onActivity: () => void;
}

/** What HAProxy is driven through; see haproxy/adapter.ts and haproxy/managed.ts. */
export interface HaproxyDriver {
  /** `check: false`: the skeleton is one HAProxy accepted already; only server slots differ. */
  install(text: string, options?: { check?: boolean }): Promise<InstallResult>;
  /** `haproxy -c` on a text without installing it: finds the apps to blame for a refusal. */
  check?: (text: string) => Promise<CheckResult>;
  /** Runtime API commands; undefined = no runtime API, changes need a reload. */
  runtime?: (commands: readonly string[]) => Promise<void>;
  /**
   * The slots whose server connections are in use (of `backends`, or all). With it, a new task
   * never goes into a slot that may still send requests to the old one (assignSlots); without it,
   * slots are filled as before.
   */
  busySlots?: (backends?: readonly string[]) => Promise<BusySlots>;
  /** Reload (or first start) HAProxy on the installed file; undefined = write the file only. */
  reload?: (reason: string) => Promise<void>;
  /**
   * Apply the first configuration even when the file on disk already holds it (bbm starts
   * HAProxy itself). Otherwise an unchanged file at start means HAProxy already runs it.
   */
  applyFirst?: boolean;
}

export interface BridgeDeps {
  getApps(): Promise<AppInfo[]>;
  events(hooks: EventStreamHooks): AsyncIterable<MarathonEvent>;
  haproxy: HaproxyDriver;
  reporter: Reporter;
  resolveHost?: (host: string) => Promise<string | undefined>;
  now?: () => number;
  /** Called after every sync attempt and connection change (to write the status file). */
  onStatus?: () => void;
}

export interface BridgeOptions {
  bind: string;
  group?: string;
  render: RenderOptions;
  debounceMs?: number;
  /** Longest a burst of events may delay a sync. */
  maxDelayMs?: number;
  resyncIntervalMs?: number;
  stallTimeoutMs?: number;
  /** First reconnect delay; doubles up to min(30 s, stallTimeoutMs), back to this after a good connection. */
  reconnectDelayMs?: number;
  /**
   * Apply task and health events to the model and the runtime API without fetching /v2/apps
   * (default true). false: every event leads to a full sync, as marathon-lb does.
   */
  applyEvents?: boolean;
  /** After events were applied through the runtime API, the file is rewritten this much later (default max(debounceMs, 1000)). */
  fileDelayMs?: number;
}

export interface BridgeStatus {
  startedAt: string;
  lastSyncAt: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
  connected: boolean;
  connects: number;
  syncs: number;
  reloads: number;
  runtimeUpdates: number;
  /** Events applied to HAProxy without fetching /v2/apps. */
  eventUpdates: number;
  rejected: number;
  lastRejectedAt: string | null;
  services: number;
  servers: number;
  warnings: number;
}

/** What `applyEvents` did with a batch of events. */
export interface EventsResult {
  /** Events that changed the model. */
  applied: number;
  /** Runtime API commands sent. */
  commands: number;
  /** Set when a full sync is needed: `urgent` when an event of the batch takes traffic away. */
  resync?: { reason: string; urgent: boolean };
}

export interface SyncResult {
  action: 'none' | 'runtime' | 'reload' | 'written' | 'rejected';
  warnings: string[];
  install: InstallResult;
}

async function defaultResolve(host: string): Promise<string | undefined> {
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    return undefined;
  }
}

/** Host name → IP for a minute: a resync must not resolve every agent again. */
const HOST_TTL_MS = 60_000;

export class Bridge {
  readonly status: BridgeStatus;
  private readonly hostCache = new Map<string, { ip: string | undefined; at: number }>();
  private applied: Rendered | undefined;
  private readonly now: () => number;
  private chain: Promise<unknown> = Promise.resolve();
  private lastWarnings = '';
  /** The apps of the last full sync, with the events applied since. */
  private model: TaskModel | undefined;
  /** The services rendered into `applied`, by backend name, and each app's backend names. */
  private services = new Map<string, Service>();
  private servicesOfApp = new Map<string, string[]>();
  /** `applied.slots` runs ahead of `applied.text` (events applied through the runtime API only). */
  private fileStale = false;
  /** Backends whose slots changed since the file was written. */
  private staleBackends = new Set<string>();
  /** `applied.text` as lines, and the line of each backend's `server s1`: the file is patched, not rendered again. */
  private fileLines: { lines: string[]; firstServer: Map<string, number> } | undefined;

  constructor(
    private readonly deps: BridgeDeps,
    private readonly options: BridgeOptions,
  ) {
    this.now = deps.now ?? Date.now;
    this.status = {
      startedAt: new Date(this.now()).toISOString(),
      lastSyncAt: null,
      lastAttemptAt: null,
      lastError: null,
      connected: false,
      connects: 0,
      syncs: 0,
      reloads: 0,
      runtimeUpdates: 0,
      eventUpdates: 0,
      rejected: 0,
      lastRejectedAt: null,
      services: 0,
      servers: 0,
      warnings: 0,
    };
  }

  /** One full pass; passes never overlap (they queue). */
  syncOnce(reason: string): Promise<SyncResult> {
    const run = this.chain.then(() => this.doSync(reason));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doSync(reason: string): Promise<SyncResult> {
    const { reporter } = this.deps;
    this.status.lastAttemptAt = new Date(this.now()).toISOString();
    try {
      const apps = (await this.deps.getApps()).filter(isAppRecord);
      const resolved = await this.resolveHosts(apps);
      const { services, warnings } = buildServices(apps, {
        bind: this.options.bind,
        ...(this.options.group === undefined ? {} : { group: this.options.group }),
        resolve: (h) => resolved.get(h),
        reservedPorts: reservedPortsOf(this.options.render),
      });
      const warningLines = warnings.map((w) => `${w.path}: ${w.message}`);
      // The same warnings on every pass would flood the log: print them when they change.
      const joined = warningLines.join('\n');
      if (joined !== this.lastWarnings) for (const w of warningLines) reporter.warn(w);
      this.lastWarnings = joined;

      const applied = this.applied;
      // Which slots still have connections in use: a new task must not be put into one of them
      // through the runtime API. Unknown: the server changes are applied by a reload instead.
      let busy: BusySlots | undefined;
      let busyUnknown = false;
      // Asked only for the HTTP backends that get a new task (one runtime API call, usually a
      // backend or two): the others keep their slots whatever is busy.
      const placing = applied ? services.filter((s) => s.mode === 'http' && hasNewcomer(s.servers.map((v) => haproxyAddress(v.ip, v.port)), applied.slots.get(s.name))).map((s) => s.name) : [];
      if (applied && placing.length > 0 && this.deps.haproxy.runtime && this.deps.haproxy.busySlots) {
        try {
          busy = await this.deps.haproxy.busySlots(placing);
        } catch (error) {
          busyUnknown = true;
          reporter.warn(`haproxy: cannot read which slots are busy (${(error as Error).message}); server changes reload instead`);
        }
      }
      let rendered = renderConfig(services, this.options.render, applied?.slots, busy);
      let routed: readonly Service[] = services;
      let action: SyncResult['action'] = 'none';
      let install: InstallResult;
      if (applied && applied.skeleton === rendered.skeleton) {
        // Only server slots changed: tell the running HAProxy first (a task being killed must
        // lose its traffic now), then write the file without a new `haproxy -c`.
        const plan = planApply(applied, rendered);
        // Slots already moved by events (only the file lagged): nothing to tell HAProxy.
        let runtimeDone = plan.kind !== 'runtime' || plan.commands.length === 0;
        if (plan.kind === 'runtime' && plan.commands.length > 0 && this.deps.haproxy.runtime && !busyUnknown) {
          try {
            await this.deps.haproxy.runtime(plan.commands);
            this.status.runtimeUpdates++;
            action = 'runtime';
            runtimeDone = true;
            reporter.info(`haproxy: ${plan.commands.length} runtime change(s) applied without a reload (${reason})`);
          } catch (error) {
            reporter.warn(`haproxy: runtime API failed (${(error as Error).message}); reloading instead`);
          }
        }
        install = await this.deps.haproxy.install(rendered.text, { check: false });
        if (!runtimeDone) action = await this.reload(busyUnknown ? 'busy slots unknown' : this.deps.haproxy.runtime ? 'runtime API failed' : 'servers changed');
      } else {
        install = await this.deps.haproxy.install(rendered.text);
        if (install.status === 'rejected') {
          this.status.rejected++;
          this.status.lastRejectedAt = new Date(this.now()).toISOString();
          // One app must not freeze routing for all: leave out the apps HAProxy refuses, apply the rest.
          const without = await this.withoutRefusedApps(services, install);
          rendered = without.rendered;
          install = without.install;
          routed = without.services;
        }
        const firstAndUnchanged = applied === undefined && install.status === 'unchanged' && !this.deps.haproxy.applyFirst;
        if (!firstAndUnchanged) action = await this.reload(applied ? 'frontends, backends or slot counts changed' : 'first configuration');
      }
      this.applied = rendered;
      this.fileStale = false;
      this.staleBackends.clear();
      this.fileLines = undefined;
      this.model = modelOf(apps);
      this.services = new Map(routed.map((s) => [s.name, s]));
      this.servicesOfApp = new Map();
      for (const s of routed) this.servicesOfApp.set(s.appId, [...(this.servicesOfApp.get(s.appId) ?? []), s.name]);
      this.status.syncs++;
      this.status.lastSyncAt = new Date(this.now()).toISOString();
      this.status.lastError = null;
      this.status.services = services.length;
      this.status.servers = services.reduce((n, s) => n + s.servers.length, 0);
      this.status.warnings = warnings.length;
      return { action, warnings: warningLines, install };
    } catch (error) {
      this.status.lastError = (error as Error).message;
      throw error;
    } finally {
      this.deps.onStatus?.();
    }
  }

  private lastLeftOut = '';

  private async withoutRefusedApps(services: readonly Service[], refused: Extract<InstallResult, { status: 'rejected' }>): Promise<{ rendered: Rendered; install: InstallResult; services: Service[] }> {
    const fail = (why: string) =>
      new OperationFailedError(`HAProxy rejected the new configuration (kept in ${refused.rejectedFile}); the running HAProxy keeps the last good one${why}:\n${refused.output}`, {
        hint: 'see HAProxy\'s words above; the bridge retries on the next change or resync',
      });
    const check = this.deps.haproxy.check;
    if (!check) throw fail('');
    const render = (subset: readonly Service[]) => renderConfig(subset, this.options.render, this.applied?.slots);
    const culprits = await findRefusedApps(services, async (subset) => (await check(render(subset).text)).ok);
    if (culprits === undefined) throw fail(' (it refuses even a configuration without any app)');
    if (culprits.length === 0) throw fail(' (every app is accepted on its own; together they are not)');
    const rest = services.filter((s) => !culprits.includes(s.appId));
    const rendered = render(rest);
    const install = await this.deps.haproxy.install(rendered.text);
    if (install.status === 'rejected') throw fail(` (also without ${culprits.join(', ')})`);
    // Said when the set changes, not on every pass.
    const key = culprits.join('\n');
    if (key === this.lastLeftOut) return { rendered, install, services: rest };
    this.lastLeftOut = key;
    for (const appId of culprits) {
      const own = await check(render(services.filter((s) => s.appId === appId)).text);
      this.deps.reporter.warn(`${appId}: left out of HAProxy's configuration: HAProxy refuses its part (${own.output.split('\n').slice(0, 3).join(' | ') || 'no details'}); the other apps are routed`);
    }
    return { rendered, install, services: rest };
  }

  /** Whether task and health events can skip the fetch now (a full sync has run, HAProxy has a runtime API). */
  get appliesEvents(): boolean {
    return (this.options.applyEvents ?? true) && this.model !== undefined && this.applied !== undefined && this.deps.haproxy.runtime !== undefined;
  }

  /**
   * Applies task and health events (discovery/events.ts) to the model of the last full sync and
   * sends the slot changes of the apps they touch to HAProxy's runtime API, without fetching
   * /v2/apps. Queued with full syncs (never overlapping). Says when a full sync is needed instead:
   * an event the model cannot take, or more healthy tasks than a backend has slots (a reload).
   * Throws when the runtime API fails; `applied` then still holds what HAProxy ran before, so a
   * full sync plans the same changes again (and reloads if the runtime API keeps failing).
   */
  applyEvents(events: readonly MarathonEvent[]): Promise<EventsResult> {
    const run = this.chain.then(() => this.doApplyEvents(events));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doApplyEvents(events: readonly MarathonEvent[]): Promise<EventsResult> {
    const urgent = events.some(isUrgent);
    const model = this.model;
    const applied = this.applied;
    const runtime = this.deps.haproxy.runtime;
    if (!(this.options.applyEvents ?? true) || !model || !applied || !runtime) return { applied: 0, commands: 0, resync: { reason: events[0]?.eventType ?? 'events', urgent } };
    const touched = new Set<string>();
    let resync: string | undefined;
    let count = 0;
    for (const event of events) {
      const effect = applyEvent(model, event);
      if (effect.kind === 'applied') {
        touched.add(effect.appId);
        count++;
      } else if (effect.kind === 'resync') resync ??= effect.reason;
    }
    const minSlots = this.options.render.minSlots ?? 4;
    const work: { name: string; before: Service; now: Service; slots: (string | null)[]; keys: string[] }[] = [];
    for (const appId of touched) {
      const names = this.servicesOfApp.get(appId);
      const app = model.apps.get(appId);
      if (!names || !app) continue; // not routed (another group, left out…)
      const resolved = await this.resolveHosts([app]);
      // The app alone: its services' structure comes from its definition, which events never change.
      const fresh = buildServices([app], {
        bind: this.options.bind,
        ...(this.options.group === undefined ? {} : { group: this.options.group }),
        resolve: (h) => resolved.get(h),
        reservedPorts: reservedPortsOf(this.options.render),
      }).services;
      for (const name of names) {
        const before = this.services.get(name);
        const now = fresh.find((s) => s.name === name);
        const slots = applied.slots.get(name);
        if (!before || !now || !slots) {
          resync ??= `${appId}: its services changed`;
          continue;
        }
        work.push({ name, before, now, slots, keys: now.servers.map((v) => haproxyAddress(v.ip, v.port)) });
      }
    }
    // The busy slots of the HTTP backends that get a new task (assignSlots: where it may go); a
    // removal alone asks nothing and is applied at once.
    const placing = work.filter((w) => w.now.mode === 'http' && hasNewcomer(w.keys, w.slots)).map((w) => w.name);
    const busy = placing.length > 0 && this.deps.haproxy.busySlots ? await this.deps.haproxy.busySlots(placing) : undefined;
    const commands = { enable: [] as string[], disable: [] as string[] };
    const updates: { service: Service; table: (string | null)[]; moved: boolean }[] = [];
    for (const { name, before, now, slots, keys } of work) {
      const table = assignSlots(keys, slots, minSlots, busy && now.mode === 'http' ? (busy.get(name) ?? new Set<number>()) : undefined);
      if (table.length !== slots.length) {
        resync ??= `${name}: more healthy tasks than free slots (a reload)`;
        continue;
      }
      slotCommands(name, slots, table, commands);
      updates.push({ service: { ...before, servers: now.servers }, table, moved: table.some((key, i) => key !== slots[i]) });
    }
    const all = [...commands.enable, ...commands.disable];
    if (all.length > 0) {
      await runtime(all);
      this.status.runtimeUpdates++;
      this.status.eventUpdates++;
      this.deps.reporter.info(`haproxy: ${all.length} runtime change(s) applied from ${count} event(s), without fetching apps`);
    }
    for (const { service, table, moved } of updates) {
      this.services.set(service.name, service);
      applied.slots.set(service.name, table);
      if (moved) this.staleBackends.add(service.name);
    }
    if (this.staleBackends.size > 0) this.fileStale = true;
    return { applied: count, commands: all.length, ...(resync === undefined ? {} : { resync: { reason: resync, urgent } }) };
  }

  /**
   * Writes what HAProxy runs to the file after events moved slots through the runtime API only:
   * the server lines of the changed backends are replaced in the last text (rendering 10 000
   * tasks again would hold up the next event for longer than applying it takes).
   */
  writeConfigFromModel(): Promise<void> {
    const run = this.chain.then(async () => {
      const applied = this.applied;
      if (!this.fileStale || !applied) return;
      this.fileLines ??= indexServerLines(applied.text);
      const { lines, firstServer } = this.fileLines;
      for (const name of this.staleBackends) {
        const at = firstServer.get(name);
        const table = applied.slots.get(name);
        if (at === undefined || !table) throw new OperationFailedError(`internal: no server lines for backend ${name} in the running configuration`);
        table.forEach((key, i) => (lines[at + i] = serverLine(i, key)));
      }
      const text = lines.join('\n');
      await this.deps.haproxy.install(text, { check: false });
      // Same skeleton and slots; only the text catches up (its skeleton stays unrendered until asked).
      applied.text = text;
      this.staleBackends.clear();
      this.fileStale = false;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async resolveHosts(apps: readonly AppInfo[]): Promise<Map<string, string | undefined>> {
    const hosts = new Set<string>();
    for (const a of apps) for (const t of a.tasks ?? []) if (typeof t.host === 'string' && !isIP(t.host)) hosts.add(t.host);
    const resolved = new Map<string, string | undefined>();
    const resolveHost = this.deps.resolveHost ?? defaultResolve;
    await Promise.all(
      [...hosts].map(async (h) => {
        const cached = this.hostCache.get(h);
        if (cached && cached.ip !== undefined && this.now() - cached.at < HOST_TTL_MS) return resolved.set(h, cached.ip);
        const ip = await resolveHost(h);
        this.hostCache.set(h, { ip, at: this.now() });
        return resolved.set(h, ip);
      }),
    );
    return resolved;
  }

  private async reload(reason: string): Promise<SyncResult['action']> {
    if (!this.deps.haproxy.reload) return 'written';
    await this.deps.haproxy.reload(reason);
    this.status.reloads++;
    this.deps.reporter.info(`haproxy: reloaded (${reason})`);
    return 'reload';
  }

  /**
   * Runs until `signal` aborts. Never throws for Marathon being away: it keeps reconnecting and
   * says so on the reporter and in `status`.
   */
  async watch(signal: AbortSignal): Promise<void> {
    const o = {
      debounceMs: this.options.debounceMs ?? 300,
      maxDelayMs: this.options.maxDelayMs ?? 2_000,
      resyncIntervalMs: this.options.resyncIntervalMs ?? 60_000,
      stallTimeoutMs: this.options.stallTimeoutMs ?? 30_000,
      reconnectDelayMs: this.options.reconnectDelayMs ?? 1_000,
    };
    const { reporter } = this.deps;
    let debounce: NodeJS.Timeout | undefined;
    let firstPending: number | undefined;
    let retry: NodeJS.Timeout | undefined;

    const sync = (reason: string) => {
      clearTimeout(debounce);
      debounce = undefined;
      firstPending = undefined;
      this.syncOnce(reason).then(
        () => {
          clearTimeout(retry);
          retry = undefined;
        },
        (error: Error) => {
          reporter.warn(`sync failed (${reason}): ${error.message}`);
          // Try again soon, even if no event comes.
          if (!signal.aborted && !retry) retry = setTimeout(() => ((retry = undefined), sync('retry after a failed sync')), Math.min(o.resyncIntervalMs, 5_000));
        },
      );
    };
    const soon = (reason: string) => {
      const t = this.now();
      firstPending ??= t;
      clearTimeout(debounce);
      const wait = Math.max(0, Math.min(o.debounceMs, firstPending + o.maxDelayMs - t));
      debounce = setTimeout(() => sync(reason), wait);
    };

    // Task and health events: applied at once, without the debounce and without fetching; the
    // events that arrive while one batch is being applied form the next batch (a burst costs a
    // few runtime API calls, not one per event). The file follows `fileDelayMs` later.
    const fileDelayMs = this.options.fileDelayMs ?? Math.max(o.debounceMs, 1_000);
    const pending: MarathonEvent[] = [];
    let applying = false;
    let fileTimer: NodeJS.Timeout | undefined;
    const writeFileSoon = () => {
      fileTimer ??= setTimeout(() => {
        fileTimer = undefined;
        this.writeConfigFromModel().catch((error: Error) => {
          reporter.warn(`cannot write the configuration from events: ${error.message}; full resync`);
          sync('file from events failed');
        });
      }, fileDelayMs);
    };
    const flush = () => {
      if (applying || pending.length === 0) return;
      applying = true;
      const batch = pending.splice(0);
      this.applyEvents(batch)
        .then(
          (r) => {
            if (r.commands > 0) writeFileSoon();
            if (r.resync?.urgent) sync(r.resync.reason);
            else if (r.resync) soon(r.resync.reason);
          },
          (error: Error) => {
            reporter.warn(`applying ${batch.length} event(s) failed: ${error.message}; full resync`);
            sync('events could not be applied');
          },
        )
        .finally(() => {
          applying = false;
          if (!signal.aborted) flush();
        });
    };

    const periodic = setInterval(() => sync('periodic resync'), o.resyncIntervalMs);
    const stopAll = () => {
      clearInterval(periodic);
      clearTimeout(debounce);
      clearTimeout(retry);
      clearTimeout(fileTimer);
    };
    signal.addEventListener('abort', stopAll, { once: true });

    sync('start');
    let delay = o.reconnectDelayMs;
    try {
      while (!signal.aborted) {
        const connection = new AbortController();
        const abortConnection = () => connection.abort();
        signal.addEventListener('abort', abortConnection, { once: true });
        let stalled = false;
        let watchdog: NodeJS.Timeout | undefined;
        const activity = () => {
          clearTimeout(watchdog);
          watchdog = setTimeout(() => {
            stalled = true;
            reporter.warn(`no byte from Marathon's event stream for ${o.stallTimeoutMs / 1000} s; reconnecting`);
            connection.abort();
          }, o.stallTimeoutMs);
        };
        let opened = false;
        activity();
        try {
          const stream = this.deps.events({
            signal: connection.signal,
            onOpen: () => {
              opened = true;
              this.status.connected = true;
              this.status.connects++;
              this.deps.onStatus?.();
              reporter.info(`connected to Marathon's event stream; full resync`);
              activity();
              // Subscribed first, then read the state: no change can fall between the two.
              sync('event stream (re)connected');
            },
            onActivity: activity,
          });
          for await (const event of stream) {
            activity();
            if (this.appliesEvents && (TASK_EVENTS as readonly string[]).includes(event.eventType)) {
              pending.push(event);
              flush();
            } else if (isUrgent(event)) sync(event.eventType);
            else if ((RELEVANT_EVENTS as readonly string[]).includes(event.eventType)) soon(event.eventType);
          }
          if (!signal.aborted && !stalled) reporter.warn(`Marathon's event stream ended; reconnecting`);
        } catch (error) {
          if (!signal.aborted && !stalled) reporter.warn(`Marathon's event stream failed: ${(error as Error).message}; reconnecting`);
        } finally {
          clearTimeout(watchdog);
          signal.removeEventListener('abort', abortConnection);
          this.status.connected = false;
          this.deps.onStatus?.();
        }
        if (signal.aborted) break;
        if (opened) delay = o.reconnectDelayMs;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
        // Never wait longer between attempts than it takes to call a silent stream dead.
        delay = Math.min(delay * 2, Math.max(o.reconnectDelayMs, Math.min(30_000, o.stallTimeoutMs)));
      }
    } finally {
      stopAll();
      await this.chain;
      // What HAProxy runs goes to the file before the bridge stops.
      if (this.fileStale) await this.writeConfigFromModel().catch((error: Error) => reporter.warn(`cannot write the configuration: ${error.message}`));
    }
  }
}

/** The rendered text as lines, and for each `backend NAME` the line of its `server s1`. */
function indexServerLines(text: string): { lines: string[]; firstServer: Map<string, number> } {
  const lines = text.split('\n');
  const firstServer = new Map<string, number>();
  let backend: string | undefined;
  lines.forEach((line, i) => {
    if (line.startsWith('backend ')) backend = line.slice(8);
    else if (backend !== undefined && line.startsWith('  server s1 ')) {
      firstServer.set(backend, i);
      backend = undefined;
    }
  });
  return { lines, firstServer };
}

function reservedPortsOf(render: RenderOptions): number[] {
  return render.httpPort > 0 ? [render.httpPort] : [];
}
