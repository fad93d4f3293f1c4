/**
 * The devcluster's scheduler: apps, versions and deployments (persisted by StateStore), tasks as
 * Docker containers (DockerRuntime), health checks, and one reconcile loop that drives every
 * deployment with Marathon's replacement arithmetic (replace.ts). Every state change is published
 * on the EventBus in Marathon 1.10's event shapes.
 */
import { randomUUID } from 'node:crypto';
import type { AppInfo, Deployment, MarathonEvent, QueueItem, Task, TaskFailure, TaskState } from '../marathon/types.js';
import type { Reporter } from '../reporter.js';
import type { ResolvedApp, ResolvedHealthCheck } from './app.js';
import { isBridge, isHostNetworking, sameConfig, servicePortsOf } from './app.js';
import { unplaceableReason } from './placement.js';
import type { ContainerEvent, ContainerSpec, DockerRuntime, PortBinding } from './docker.js';
import { LABEL_APP, LABEL_CLUSTER, LABEL_CONFIG, LABEL_ENGINE, LABEL_PORTS, LABEL_STAGED, LABEL_STATE, LABEL_TASK, LABEL_VERSION } from './docker.js';
import type { EventBus } from './events.js';
import { isoNow } from './events.js';
import { containerSpec } from './container-spec.js';
import { privilegeProblems } from './guard.js';
import { probeTarget, recordProbe } from './health-state.js';
import { HostPorts } from './host-ports.js';
import { HttpError } from './http-error.js';
import type { HealthState, TaskRecord } from './task-record.js';
import { CONDITION, firstProbeAt, freshHealth, isReady } from './task-record.js';
import { appJson, appView, deploymentView, planView, queueView, taskView } from './views.js';
import type { Agent } from './views.js';
import { within } from './within.js';
import { probe } from './health.js';
import { canonicalId, idProblems, safeAppId } from './ids.js';
import { resolveApp } from './normalize.js';
import { assignServicePorts, ServicePortsExhausted } from './ports.js';
import { planReplacement } from './replace.js';
import type { ActionName, AppRecord, DeploymentRecord, StateStore } from './store.js';
import { MAX_VERSIONS } from './store.js';

export interface EngineOptions {
  name: string;
  runtime: DockerRuntime;
  store: StateStore;
  bus: EventBus;
  reporter: Reporter;
  hostPortRange: [number, number];
  servicePortRange: [number, number];
  /** Address published ports bind to (127.0.0.1). */
  bindAddress: string;
  /** What tasks report as their host ($HOST, task.host). */
  advertiseHost: string;
  /** Image for apps without a container (Marathon would run them on the agent itself). */
  defaultImage: string;
  tickMs: number;
  killGraceSeconds: number;
  /** Accept privileged containers, host-path volumes and access-widening docker parameters. */
  allowPrivileged: boolean;
}

export interface UpsertOptions {
  force: boolean;
  partial: boolean;
  create: 'upsert' | 'create-only' | 'update-only';
  clientIp: string;
  uri: string;
}

/** With Docker's event stream open, the full list of containers is still compared this often (a missed event, a stray). */
const FULL_SYNC_MS = 5000;
/** Probes due this close together run in one wake-up of the health timer. */
const HEALTH_SLACK_MS = 20;

const LOCKED_MESSAGE =
  "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.";

export class Engine {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly hostPorts: HostPorts;
  private readonly backoff = new Map<string, { delayMs: number; nextAt: number }>();
  /** Why an app's next task cannot be placed (logged once per reason). */
  private readonly waiting = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  /** The one health-check timer, armed for the earliest probe due (healthAt). */
  private healthTimer: NodeJS.Timeout | undefined;
  private healthAt = Infinity;
  /** Docker's event stream is open: containers are listed when it reports one of ours ended, and every FULL_SYNC_MS. */
  private eventsLive = false;
  private syncWanted = true;
  private lastSyncAt = 0;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastVersionMs = Date.now();
  /** Taken once at start-up, as Marathon's Group.defaultVersion: the version of cancel-rollbacks. */
  readonly startVersion = isoNow(this.lastVersionMs);
  readonly agentId: string;

  constructor(private readonly o: EngineOptions) {
    this.agentId = `bbm-devcluster-${o.name}-S0`;
    this.hostPorts = new HostPorts(o.hostPortRange, () => [...this.tasks.values()].flatMap((t) => t.hostPorts));
  }

  private get state() {
    return this.o.store.state;
  }

  /** Where this engine listens: on every container it starts (LABEL_ENGINE). */
  engineUrl = '';

  /** Reads the state folder (making its identity when it is new) and checks Docker. */
  async load(): Promise<void> {
    await this.o.store.load();
    await this.o.runtime.ping();
    await this.o.store.save();
  }

  get stateId(): string {
    return this.o.store.stateId;
  }

  /** Removes containers of this cluster name left by an earlier state, adopts its own, starts reconciling. */
  async start(): Promise<void> {
    await this.removeLeftovers();
    this.o.runtime.watch(this.o.name, (e) => this.containerEvent(e), (open) => {
      this.eventsLive = open;
      this.syncWanted = true; // what happened while it was closed is only in a full list
      if (open) this.kick();
    });
    await this.sync();
    this.lastSyncAt = Date.now();
    this.syncWanted = false;
    this.schedule(0);
  }

  /**
   * Stops scheduling and cuts whatever Docker request is in flight (a pull, a stop waiting out a
   * grace period): the containers keep running and the next start adopts them.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.o.runtime.close();
    await within(500, this.ticking);
    await within(500, this.o.store.save());
  }

  /** Containers this engine owns: those labelled with its state id (and unlabelled ones of a state file older than ids). */
  private owns(labels: Record<string, string>): boolean {
    const state = labels[LABEL_STATE];
    return state === this.stateId || (state === undefined && this.o.store.legacy);
  }

  private async removeLeftovers(): Promise<void> {
    const others = (await this.o.runtime.list(this.o.name)).filter((c) => !this.owns(c.labels));
    if (others.length === 0) return;
    this.o.reporter.warn(
      `devcluster: removing ${others.length} container(s) of cluster "${this.o.name}" left by an earlier state (not ${this.o.store.dir}): ${others.map((c) => c.labels[LABEL_TASK] ?? c.id).join(', ')}`,
    );
    for (const c of others) await this.o.runtime.remove(c.id).catch((e: unknown) => this.o.reporter.warn(`devcluster: could not remove ${c.id}: ${(e as Error).message}`));
  }

  /* ------------------------------------------------------------------ versions and ids */

  private newVersion(): string {
    const ms = Math.max(Date.now(), this.lastVersionMs + 1);
    this.lastVersionMs = ms;
    return isoNow(ms);
  }

  static pathId(raw: string): string {
    const problems = idProblems(raw);
    if (problems.length > 0) throw new HttpError(422, { message: 'Object is not valid', details: [{ path: '/id', errors: problems }] });
    return canonicalId(raw);
  }

  /* ------------------------------------------------------------------ read side */

  appIds(): string[] {
    return Object.keys(this.state.apps).sort();
  }

  hasApp(id: string): boolean {
    return id in this.state.apps;
  }

  private appRecord(id: string): AppRecord {
    const rec = this.state.apps[id];
    if (!rec) throw new HttpError(404, { message: `App '${id}' does not exist` });
    return rec;
  }

  appInfo(id: string, embed: { tasks: boolean; lastTaskFailure: boolean }): AppInfo {
    const rec = this.appRecord(id);
    return appView(rec.current, this.tasksOf(id), this.deploymentsOf(id), rec.lastTaskFailure, this.agent, embed);
  }

  /** appInfo as JSON text (GET /v2/apps builds it for every app at every request). */
  appJson(id: string, embed: { tasks: boolean; lastTaskFailure: boolean }): string {
    const rec = this.appRecord(id);
    return appJson(rec.current, this.tasksOf(id), this.deploymentsOf(id), rec.lastTaskFailure, this.agent, embed);
  }

  /** The current definition (for filters that read only the definition). */
  definition(id: string): ResolvedApp {
    return this.appRecord(id).current;
  }

  private get agent(): Agent {
    return { host: this.o.advertiseHost, agentId: this.agentId };
  }

  versions(id: string): string[] {
    return this.appRecord(id).versions.map((v) => v.version).reverse();
  }

  version(id: string, version: string): ResolvedApp {
    const found = this.appRecord(id).versions.find((v) => v.version === version);
    if (!found) throw new HttpError(404, { message: `App '${id}' does not exist in version ${version}` });
    return found;
  }

  private tasksOf(appId: string): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => t.appId === appId).sort((a, b) => a.stagedAt.localeCompare(b.stagedAt) || a.id.localeCompare(b.id));
  }

  appTasks(id: string): Task[] {
    this.appRecord(id);
    return this.tasksOf(id).map((t) => taskView(t, this.agent));
  }

  allTasks(states?: Set<string>): Task[] {
    return [...this.tasks.values()]
      .filter((t) => t.appId in this.state.apps)
      .filter((t) => !states || states.has(t.state.replace(/^TASK_/, '').toLowerCase()))
      .sort((a, b) => a.appId.localeCompare(b.appId) || a.stagedAt.localeCompare(b.stagedAt))
      .map((t) => taskView(t, this.agent));
  }

  /** For text/plain /v2/tasks: every app with its service ports and its tasks' host:port pairs. */
  endpoints(): { id: string; servicePorts: number[]; tasks: { host: string; ports: number[] }[] }[] {
    return this.appIds().map((id) => {
      const rec = this.appRecord(id);
      return {
        id,
        servicePorts: servicePortsOf(rec.current),
        tasks: this.tasksOf(id)
          .filter((t) => t.state === 'TASK_RUNNING' && !t.killing)
          .map((t) => ({ host: this.o.advertiseHost, ports: t.hostPorts })),
      };
    });
  }

  /* ------------------------------------------------------------------ deployments (read) */

  private deploymentsOf(appId: string): DeploymentRecord[] {
    return this.state.deployments.filter((d) => d.appId === appId);
  }

  deployments(): Deployment[] {
    return this.state.deployments.map((d) => deploymentView(d));
  }

  /* ------------------------------------------------------------------ write side */

  private lockCheck(appId: string, force: boolean): void {
    const locks = this.deploymentsOf(appId);
    if (locks.length === 0) return;
    if (!force) throw new HttpError(409, { message: LOCKED_MESSAGE, deployments: locks.map((d) => ({ id: d.id })) });
    for (const d of locks) this.dropDeployment(d, 'The upgrade has been cancelled');
  }

  private dropDeployment(d: DeploymentRecord, reason: string): void {
    this.state.deployments = this.state.deployments.filter((x) => x !== d);
    this.o.bus.publish('deployment_failed', { id: d.id, plan: planView(d), reason });
  }

  private startDeployment(appId: string, action: ActionName, original: ResolvedApp | null, target: ResolvedApp | null, version: string): DeploymentRecord {
    const d: DeploymentRecord = { id: randomUUID(), version, appId, action, original, target };
    this.state.deployments.push(d);
    this.o.bus.publish('group_change_success', { groupId: '/', version });
    this.o.bus.publish('deployment_info', { plan: planView(d), currentStep: { actions: [{ action, app: appId }] } });
    this.kick();
    return d;
  }

  /** PUT/POST /v2/apps/{id}. */
  async upsert(rawId: string, body: unknown, opts: UpsertOptions): Promise<{ created: boolean; deployment: DeploymentRecord; app: ResolvedApp }> {
    const id = Engine.pathId(rawId);
    const existing = this.state.apps[id];
    if (opts.create === 'create-only' && existing) throw new HttpError(409, { message: `An app with id [${id}] already exists.` });
    if (opts.create === 'update-only' && !existing) throw new HttpError(404, { message: `App '${id}' does not exist` });

    let next: ResolvedApp;
    if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'version' in body && opts.create === 'upsert') {
      const extra = Object.keys(body).filter((k) => k !== 'version' && k !== 'id');
      if (extra.length > 0)
        throw new HttpError(422, { message: 'Object is not valid', details: [{ path: '/', errors: ["The 'version' field may only be combined with the 'id' field."] }] });
      if (!existing) throw new HttpError(404, { message: `App '${id}' does not exist` });
      const wanted = (body as { version: unknown }).version;
      const stored = existing.versions.find((v) => v.version === wanted);
      if (!stored) throw new HttpError(404, { message: `App '${id}' does not exist in version ${String(wanted)}` });
      next = structuredClone(stored);
    } else {
      const resolved = resolveApp(body, { id, ...(existing ? { previous: existing.current } : {}), partial: opts.partial });
      if (!resolved.ok) throw new HttpError(resolved.status, resolved.body);
      next = resolved.app;
    }
    if (!this.o.allowPrivileged) {
      const widening = privilegeProblems({ ...(next.container?.docker ?? {}), volumes: next.container?.volumes ?? [] });
      if (widening.length > 0) throw new HttpError(422, { message: 'Object is not valid', details: widening.map((w) => ({ path: w.path, errors: [w.error] })) });
    }
    // mesosphere/marathon core/group/impl/GroupManagerImpl.scala updateRootEither: service ports
    // are assigned first, then upgrade/scale is decided (upgrade/GroupVersioningUtil.scala).
    this.assignServicePorts(next, existing?.current);
    const version = this.newVersion();
    const upgrade = !existing || !sameConfig(existing.current, next);
    if (existing && !upgrade && existing.current.instances === next.instances) {
      // Unchanged: the app keeps its version info, the plan has no steps, so it conflicts with no
      // deployment (DeploymentPlan.isAffectedBy) and finishes at once; the answer still carries
      // the plan's new version.
      this.o.bus.publish('api_post_event', { clientIp: opts.clientIp, uri: opts.uri, appDefinition: existing.current });
      const deployment: DeploymentRecord = { id: randomUUID(), version, appId: id, action: 'ScaleApplication', original: existing.current, target: existing.current };
      this.o.bus.publish('group_change_success', { groupId: '/', version });
      this.o.bus.publish('deployment_success', { id: deployment.id, plan: { id: deployment.id, steps: [], version } });
      return { created: false, deployment, app: existing.current };
    }
    next.version = version;
    next.versionInfo = {
      lastScalingAt: version,
      lastConfigChangeAt: upgrade ? version : existing.current.versionInfo.lastConfigChangeAt,
    };
    const record: AppRecord = existing ?? { current: next, versions: [] };
    // The version is stored before the deployment is tried (groupRepository.storeRootVersion, then
    // deploymentService.deploy): a PUT refused with 409 still leaves it in /versions.
    record.versions = [...record.versions, next].slice(-MAX_VERSIONS);
    this.state.apps[id] = record;
    try {
      this.lockCheck(id, opts.force);
    } catch (e) {
      await this.o.store.save();
      throw e;
    }
    const action: ActionName = !existing ? 'StartApplication' : upgrade ? 'RestartApplication' : 'ScaleApplication';
    const original = existing ? existing.current : null;
    record.current = next;
    this.o.bus.publish('api_post_event', { clientIp: opts.clientIp, uri: opts.uri, appDefinition: next });
    const deployment = this.startDeployment(id, action, original, next, version);
    await this.o.store.save();
    return { created: !existing, deployment, app: next };
  }

  /**
   * DELETE /v2/apps/{id}/tasks[/{taskId}]: kills tasks (Marathon replaces them); with `scale`
   * the app's instances go down by the number killed, in a ScaleApplication deployment.
   */
  async killTasks(rawId: string, taskIds: string[] | undefined, scale: boolean, force: boolean): Promise<{ tasks: Task[]; deployment?: DeploymentRecord }> {
    const id = Engine.pathId(rawId);
    const rec = this.appRecord(id);
    const victims = this.tasksOf(id).filter((t) => !t.killing && (taskIds === undefined || taskIds.includes(t.id)));
    const missing = (taskIds ?? []).filter((x) => !victims.some((t) => t.id === x));
    if (missing.length > 0) throw new HttpError(404, { message: `Task '${missing[0]}' does not exist` });
    let deployment: DeploymentRecord | undefined;
    if (scale) {
      this.lockCheck(id, force);
      const version = this.newVersion();
      const next: ResolvedApp = {
        ...structuredClone(rec.current),
        instances: Math.max(0, rec.current.instances - victims.length),
        version,
        versionInfo: { lastScalingAt: version, lastConfigChangeAt: rec.current.versionInfo.lastConfigChangeAt },
      };
      const original = rec.current;
      rec.current = next;
      rec.versions = [...rec.versions, next].slice(-MAX_VERSIONS);
      deployment = this.startDeployment(id, 'ScaleApplication', original, next, version);
    }
    const json = victims.map((t) => taskView(t, this.agent));
    // with scale the deployment decommissions them; without, their goal stays Running and each is
    // launched again once it is terminal (mesosphere/marathon
    // src/main/scala/mesosphere/marathon/api/TaskKiller.scala `kill`: "We don't adjust the goal")
    for (const t of victims) this.kill(t, 'killed through the API', deployment?.id);
    await this.o.store.save();
    return { tasks: json, ...(deployment ? { deployment } : {}) };
  }

  /** POST /v2/tasks/delete: the app of each task id (the part before `.instance-`). */
  appOfTask(taskId: string): string {
    const t = this.tasks.get(taskId);
    if (!t) throw new HttpError(404, { message: `Task '${taskId}' does not exist` });
    return t.appId;
  }

  /** GET /v2/queue: apps with instances still to launch, their launch delay and why they wait. */
  queue(): QueueItem[] {
    const out: QueueItem[] = [];
    for (const id of this.appIds()) {
      const dep = this.deploymentsOf(id)[0];
      const target = dep?.target ?? this.appRecord(id).current;
      const have = this.tasksOf(id).filter((t) => !t.killing && t.config === target.versionInfo.lastConfigChangeAt).length;
      const count = Math.max(0, target.instances - have);
      if (count === 0) continue;
      const b = this.backoff.get(id);
      const left = b ? Math.max(0, Math.ceil((b.nextAt - Date.now()) / 1000)) : 0;
      out.push(queueView(target, count, dep?.version ?? target.version, left, this.waiting.get(id)));
    }
    return out;
  }

  /** DELETE /v2/queue/{id}/delay. */
  resetDelay(rawId: string): void {
    const id = canonicalId(rawId);
    if (!this.backoff.delete(id)) throw new HttpError(404, { message: `Application ${id} not found in tasks queue.` });
    this.kick();
  }

  /** POST /v2/apps/{id}/restart. */
  async restart(rawId: string, force: boolean): Promise<DeploymentRecord> {
    const id = Engine.pathId(rawId);
    const rec = this.appRecord(id);
    this.lockCheck(id, force);
    const original = rec.current;
    const version = this.newVersion();
    const next: ResolvedApp = { ...structuredClone(original), version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: version } };
    rec.current = next;
    rec.versions = [...rec.versions, next].slice(-MAX_VERSIONS);
    const d = this.startDeployment(id, 'RestartApplication', original, next, version);
    await this.o.store.save();
    return d;
  }

  /** DELETE /v2/apps/{id}. */
  async deleteApp(rawId: string, force: boolean): Promise<DeploymentRecord> {
    const id = Engine.pathId(rawId);
    const rec = this.appRecord(id);
    this.lockCheck(id, force);
    delete this.state.apps[id];
    const d = this.startDeployment(id, 'StopApplication', rec.current, null, this.newVersion());
    await this.o.store.save();
    return d;
  }

  /** DELETE /v2/deployments/{id}: cancel; without force, roll back in a new deployment. */
  async cancelDeployment(depId: string, force: boolean): Promise<DeploymentRecord | undefined> {
    const d = this.state.deployments.find((x) => x.id === depId);
    if (!d) throw new HttpError(404, { message: `DeploymentPlan ${depId} does not exist` });
    this.dropDeployment(d, 'The upgrade has been cancelled');
    if (force) {
      await this.o.store.save();
      return undefined;
    }
    // DeploymentsResource.cancel → groupManager.updateRoot(deployment.revert) with the default
    // version argument, Group.defaultVersion: a timestamp taken once when the master starts
    // (mesosphere/marathon state/Group.scala `val defaultVersion = Timestamp.now()`). The
    // reverted app differs from the running one, so GroupVersioningUtil gives it that version as a
    // config change, and TaskReplaceActor replaces every task not of it, healthy old ones included.
    const back = d.original;
    const from = d.target;
    const version = this.startVersion;
    let rollback: DeploymentRecord;
    if (!back) {
      delete this.state.apps[d.appId];
      rollback = this.startDeployment(d.appId, 'StopApplication', from, null, version);
    } else {
      const upgrade = !from || !sameConfig(from, back);
      const next: ResolvedApp = {
        ...structuredClone(back),
        version,
        versionInfo: {
          lastScalingAt: version,
          lastConfigChangeAt: upgrade || !from ? version : from.versionInfo.lastConfigChangeAt,
        },
      };
      const rec = this.state.apps[d.appId] ?? { current: next, versions: [] };
      rec.current = next;
      // one stored version per timestamp (a second rollback in the same run overwrites it)
      rec.versions = [...rec.versions.filter((v) => v.version !== version), next].slice(-MAX_VERSIONS);
      this.state.apps[d.appId] = rec;
      const action: ActionName = !from ? 'StartApplication' : upgrade ? 'RestartApplication' : 'ScaleApplication';
      rollback = this.startDeployment(d.appId, action, from, next, version);
    }
    await this.o.store.save();
    return rollback;
  }

  /* ------------------------------------------------------------------ ports */

  private assignServicePorts(app: ResolvedApp, previous: ResolvedApp | undefined): void {
    const used = new Set<number>();
    for (const rec of Object.values(this.state.apps)) for (const p of servicePortsOf(rec.current)) used.add(p);
    for (const p of servicePortsOf(app)) used.add(p);
    let ports: number[];
    try {
      ports = assignServicePorts(servicePortsOf(app), previous ? servicePortsOf(previous) : [], used, this.o.servicePortRange);
    } catch (e) {
      if (!(e instanceof ServicePortsExhausted)) throw e;
      throw new HttpError(422, { message: 'Object is not valid', details: [{ path: '/', errors: [e.message] }] });
    }
    if (isHostNetworking(app)) app.portDefinitions?.forEach((d, i) => (d.port = ports[i] ?? d.port));
    else app.container?.portMappings?.forEach((m, i) => (m.servicePort = ports[i] ?? m.servicePort));
  }

  /* ------------------------------------------------------------------ reconcile loop */

  private lastWarning = '';
  /** The same failure on every tick (Docker down) is reported once until something changes. */
  private warnOnce(line: string): void {
    if (line === this.lastWarning) return;
    this.lastWarning = line;
    this.o.reporter.warn(line);
  }

  /** Runs a tick soon (after an API change) instead of waiting for the timer. */
  private kick(): void {
    this.schedule(20);
  }

  /** Ticks never overlap: each one is chained after the previous. */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ticking = this.ticking
        .then(() => (this.stopped ? undefined : this.tick()))
        .catch((e: unknown) => this.warnOnce(`devcluster: reconcile: ${(e as Error).message}`))
        .finally(() => {
          if (!this.stopped && !this.timer) this.schedule(this.o.tickMs);
        });
    }, delayMs);
  }

  /** A container of ours ended or went away without the engine asking: compare the list on the next tick. */
  private containerEvent(e: ContainerEvent): void {
    if (!this.owns(e.labels)) return;
    const t = this.tasks.get(e.labels[LABEL_TASK] ?? '');
    // the engine's own kills and removals (and containers it does not track) need no list
    if (!t || t.killing) return;
    this.syncWanted = true;
    this.kick();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    if (this.syncWanted || !this.eventsLive || now - this.lastSyncAt >= FULL_SYNC_MS) {
      this.syncWanted = false;
      this.lastSyncAt = now;
      await this.sync();
    }
    this.lastWarning = '';
    let changed = false;
    for (const d of [...this.state.deployments]) if (this.stepDeployment(d)) changed = true;
    for (const id of this.appIds()) {
      if (this.deploymentsOf(id).length === 0) this.keepScale(this.appRecord(id).current);
    }
    for (const t of this.tasks.values())
      if (!(t.appId in this.state.apps) && this.deploymentsOf(t.appId).length === 0) this.kill(t, 'app no longer exists', 'app deleted');
    this.scheduleHealth();
    if (changed) await this.o.store.save();
  }

  /** One step of a deployment; true when it finished. */
  private stepDeployment(d: DeploymentRecord): boolean {
    const all = this.tasksOf(d.appId);
    const active = all.filter((t) => !t.killing);
    if (!d.target) {
      for (const t of active) this.kill(t, 'app deleted', d.id);
      if (all.length > 0) return false;
      this.finish(d);
      this.o.bus.publish('app_terminated_event', { appId: d.appId });
      return true;
    }
    const target = d.target;
    const current = (t: TaskRecord) => t.config === target.versionInfo.lastConfigChangeAt;
    // Tasks being killed take their place until they are terminal (TaskReplaceActor counts an
    // old instance until it is terminal, every new one it started whatever its state), except
    // old ones an earlier deployment had already decommissioned (mesosphere/marathon
    // core/deployment/impl/TaskReplaceActor.scala State.oldActiveInstances: goal Running only).
    const counted = all.filter((t) => !t.killing || current(t) || t.decommissionedBy === undefined || t.decommissionedBy === d.id);
    const decision = planReplacement({
      instances: target.instances,
      minimumHealthCapacity: target.upgradeStrategy.minimumHealthCapacity,
      maximumOverCapacity: target.upgradeStrategy.maximumOverCapacity,
      killSelection: target.killSelection,
      tasks: counted.map((t) => ({
        id: t.id,
        current: current(t),
        ready: isReady(t),
        stagedAt: Date.parse(t.stagedAt),
        killing: t.killing,
      })),
    });
    for (const id of decision.kill) {
      const t = this.tasks.get(id);
      if (t) this.kill(t, 'replaced by the deployment', d.id);
    }
    this.launch(target, decision.launch);
    if (decision.done && all.length === active.length) {
      this.finish(d);
      return true;
    }
    return false;
  }

  private finish(d: DeploymentRecord): void {
    this.state.deployments = this.state.deployments.filter((x) => x !== d);
    const plan = planView(d);
    this.o.bus.publish('deployment_step_success', { plan, currentStep: { actions: plan.steps[0]?.actions ?? [] } });
    this.o.bus.publish('deployment_success', { id: d.id, plan });
  }

  /**
   * Without a deployment: replace lost tasks and drop extras, like Marathon's scale check. A task
   * being killed whose goal stays Running (killed as unhealthy, or through the API without
   * `scale`) still holds its place: Marathon launches that instance again once it is terminal
   * (mesosphere/marathon core/instance/Instance.scala `isScheduled`: goal Running and a terminal
   * condition), and its scale check counts instances by goal (core/deployment/ScalingProposition.scala).
   */
  private keepScale(app: ResolvedApp): void {
    const all = this.tasksOf(app.id);
    const holding = all.filter((t) => !t.killing || t.decommissionedBy === undefined);
    const active = all.filter((t) => !t.killing);
    if (holding.length < app.instances) this.launch(app, app.instances - holding.length);
    else if (holding.length > app.instances && active.length > 0) {
      const order = [...active].sort((a, b) => {
        if (isReady(a) !== isReady(b)) return isReady(a) ? 1 : -1;
        return app.killSelection === 'YOUNGEST_FIRST' ? b.stagedAt.localeCompare(a.stagedAt) : a.stagedAt.localeCompare(b.stagedAt);
      });
      for (const t of order.slice(0, holding.length - app.instances)) this.kill(t, 'scaled down', 'scale check');
    }
  }

  /* ------------------------------------------------------------------ tasks */

  private statusUpdate(t: TaskRecord, status: TaskState, message = ''): void {
    this.o.bus.publish('status_update_event', {
      slaveId: this.agentId,
      taskId: t.id,
      taskStatus: status,
      message,
      appId: t.appId,
      host: this.o.advertiseHost,
      ipAddresses: [{ ipAddress: t.ip ?? this.o.advertiseHost, protocol: 'IPv4' }],
      ports: t.hostPorts,
      version: t.version,
    });
    this.o.bus.publish('instance_changed_event', {
      instanceId: t.instanceId,
      condition: CONDITION[status] ?? 'Unknown',
      runSpecId: t.appId,
      agentId: this.agentId,
      host: this.o.advertiseHost,
      runSpecVersion: t.version,
    });
  }

  private launch(app: ResolvedApp, count: number): void {
    if (count <= 0) return;
    const b = this.backoff.get(app.id);
    if (b && Date.now() < b.nextAt) return;
    for (let i = 0; i < count; i++) {
      // constraints count the tasks being killed too: Marathon matches offers against every
      // instance that is neither lost nor waiting to launch, Killing ones included (mesosphere/marathon
      // src/main/scala/mesosphere/marathon/core/launchqueue/impl/TaskLauncherActor.scala reachableInstances)
      const ofApp = this.tasksOf(app.id).length;
      const why = unplaceableReason(app, this.o.advertiseHost, ofApp, this.hostPorts.inUse());
      if (why) {
        if (this.waiting.get(app.id) !== why) this.o.reporter.warn(`devcluster: cannot place a task of ${app.id}: ${why}; waiting (as Marathon does)`);
        this.waiting.set(app.id, why);
        return;
      }
      this.waiting.delete(app.id);
      const uuid = randomUUID();
      const instanceId = `${safeAppId(app.id)}.instance-${uuid}`;
      const t: TaskRecord = {
        id: `${instanceId}._app.1`,
        instanceId,
        appId: app.id,
        version: app.version,
        config: app.versionInfo.lastConfigChangeAt,
        app,
        hostPorts: [],
        state: 'TASK_STAGING',
        stagedAt: isoNow(),
        startedMs: 0,
        killing: false,
        health: app.healthChecks.map(() => freshHealth()),
      };
      this.tasks.set(t.id, t);
      void this.runTask(t).catch((e: unknown) => this.taskFailed(t, `launch failed: ${(e as Error).message}`));
    }
  }

  private async runTask(t: TaskRecord): Promise<void> {
    const app = t.app;
    t.hostPorts = await this.hostPorts.forTask(app);
    const spec = containerSpec(t, {
      name: this.o.name,
      stateId: this.stateId,
      engineUrl: this.engineUrl,
      advertiseHost: this.o.advertiseHost,
      bindAddress: this.o.bindAddress,
      defaultImage: this.o.defaultImage,
    });
    const id = await this.o.runtime.run(spec);
    if (this.stopped) return;
    this.hostPorts.release(t.hostPorts);
    t.containerId = id;
    t.startedMs = Date.now();
    if (isBridge(app)) {
      // the container's own address (Mesos-level checks, ipAddresses); host networking has none of its own
      const details = await this.o.runtime.inspect(id).catch(() => undefined);
      if (details?.ipAddress) t.ip = details.ipAddress;
    }
    t.state = 'TASK_RUNNING';
    t.startedAt = isoNow(t.startedMs);
    app.healthChecks.forEach((hc, i) => {
      const h = t.health[i];
      if (h) h.nextAt = firstProbeAt(hc, t.startedMs);
    });
    this.statusUpdate(t, 'TASK_RUNNING');
    if (t.killing) await this.finishKill(t);
    else {
      for (const h of t.health) this.armHealth(h.nextAt);
      this.kick();
    }
  }

  private bumpBackoff(app: ResolvedApp): void {
    const prev = this.backoff.get(app.id);
    const delayMs = prev ? Math.min(prev.delayMs * app.backoffFactor, app.maxLaunchDelaySeconds * 1000) : app.backoffSeconds * 1000;
    this.backoff.set(app.id, { delayMs, nextAt: Date.now() + delayMs });
  }

  private taskFailed(t: TaskRecord, message: string, status: TaskState = 'TASK_FAILED'): void {
    // after stop() Docker requests are cut on purpose: the task is not failed, the next start looks again
    if (this.stopped || !this.tasks.has(t.id)) return;
    this.hostPorts.release(t.hostPorts);
    this.tasks.delete(t.id);
    this.o.reporter.warn(`devcluster: task ${t.id} ${status}: ${message}`);
    this.statusUpdate(t, status, message);
    const rec = this.state.apps[t.appId];
    if (rec && status !== 'TASK_FINISHED') {
      rec.lastTaskFailure = {
        appId: t.appId,
        host: this.o.advertiseHost,
        message,
        state: status,
        taskId: t.id,
        timestamp: isoNow(),
        version: t.version,
        slaveId: this.agentId,
      };
      void this.o.store.save();
    }
    this.bumpBackoff(t.app);
    if (t.containerId) void this.o.runtime.remove(t.containerId).catch(() => undefined);
  }

  /** `decommissionedBy`: the deployment (or scale check) that decommissions it; none when its goal stays Running. */
  private kill(t: TaskRecord, reason: string, decommissionedBy?: string): void {
    if (t.killing) {
      // a kill of a task already being killed only changes its goal (Marathon's setGoal)
      t.decommissionedBy ??= decommissionedBy;
      return;
    }
    t.killing = true;
    if (decommissionedBy !== undefined) t.decommissionedBy = decommissionedBy;
    this.o.reporter.info(`devcluster: killing ${t.id} (${reason})`);
    if (t.containerId) {
      this.statusUpdate(t, 'TASK_KILLING');
      void this.finishKill(t);
    }
  }

  private async finishKill(t: TaskRecord): Promise<void> {
    try {
      if (t.containerId) {
        // Marathon hands taskKillGracePeriodSeconds to Mesos as the task's kill policy
        // (state/AppDefinition.scala taskKillGracePeriod); without one, Mesos' Docker executor
        // stops with its --docker_stop_timeout, 0 by default (apache/mesos src/docker/executor.cpp,
        // src/slave/flags.cpp): `docker stop -t 0`, SIGTERM then SIGKILL at once.
        await this.o.runtime.stop(t.containerId, t.app.taskKillGracePeriodSeconds ?? 0);
        await this.o.runtime.remove(t.containerId);
      }
    } catch (e) {
      if (this.stopped) return;
      this.o.reporter.warn(`devcluster: could not stop ${t.id}: ${(e as Error).message}; will retry`);
      t.killing = false;
      delete t.decommissionedBy;
      return;
    }
    if (!this.tasks.has(t.id)) return;
    this.tasks.delete(t.id);
    this.statusUpdate(t, 'TASK_KILLED');
    this.kick();
  }

  /** Matches the engine's tasks with the containers labelled for this cluster; adopts strays. */
  private async sync(): Promise<void> {
    const listedAt = Date.now();
    const containers = (await this.o.runtime.list(this.o.name)).filter((c) => this.owns(c.labels));
    const byTask = new Map(containers.map((c) => [c.labels[LABEL_TASK] ?? '', c]));
    for (const t of [...this.tasks.values()]) {
      // a task whose container started after the list was taken is not in it yet
      if (!t.containerId || t.killing || t.startedMs >= listedAt - 50) continue;
      const c = byTask.get(t.id);
      if (!c) this.taskFailed(t, 'container disappeared', 'TASK_LOST');
      else if (!c.running) {
        const d = await this.o.runtime.inspect(c.id).catch(() => undefined);
        const code = d?.exitCode ?? -1;
        this.taskFailed(t, `container exited with status ${code}${d?.error ? `: ${d.error}` : ''}`, code === 0 ? 'TASK_FINISHED' : 'TASK_FAILED');
      }
    }
    for (const c of containers) {
      const taskId = c.labels[LABEL_TASK] ?? '';
      if (this.tasks.has(taskId)) continue;
      const appId = c.labels[LABEL_APP] ?? '';
      const app = this.definitionFor(appId, c.labels[LABEL_VERSION] ?? '');
      if (!c.running || !app) {
        if (c.running) await this.o.runtime.stop(c.id, this.o.killGraceSeconds).catch(() => undefined);
        await this.o.runtime.remove(c.id).catch(() => undefined);
        continue;
      }
      const d = await this.o.runtime.inspect(c.id).catch(() => undefined);
      if (!d?.running) continue;
      let hostPorts: number[] = [];
      try {
        hostPorts = JSON.parse(c.labels[LABEL_PORTS] ?? '[]') as number[];
      } catch {
        /* a foreign label value: adopt without ports */
      }
      const t: TaskRecord = {
        id: taskId,
        instanceId: taskId.replace(/\._app\.\d+$/, ''),
        appId,
        version: app.version,
        config: c.labels[LABEL_CONFIG] ?? app.versionInfo.lastConfigChangeAt,
        app,
        containerId: c.id,
        hostPorts,
        state: 'TASK_RUNNING',
        stagedAt: c.labels[LABEL_STAGED] ?? d.startedAt,
        startedAt: new Date(d.startedAt).toISOString(),
        startedMs: Date.parse(d.startedAt),
        killing: false,
        ...(d.ipAddress ? { ip: d.ipAddress } : {}),
        health: app.healthChecks.map(() => freshHealth()),
      };
      this.tasks.set(t.id, t);
      this.o.reporter.info(`devcluster: adopted running task ${t.id}`);
    }
  }

  private definitionFor(appId: string, version: string): ResolvedApp | undefined {
    const rec = this.state.apps[appId];
    const inDeployments = this.state.deployments.filter((d) => d.appId === appId).flatMap((d) => [d.original, d.target]);
    const candidates = [...(rec?.versions ?? []), ...(rec ? [rec.current] : []), ...inDeployments].filter((a): a is ResolvedApp => !!a);
    return candidates.find((a) => a.version === version) ?? rec?.current ?? inDeployments.find((a): a is ResolvedApp => !!a);
  }

  /* ------------------------------------------------------------------ health */

  /** Arms the health timer for `at` unless it already fires earlier: one timer for every task's checks. */
  private armHealth(at: number): void {
    if (this.stopped || !Number.isFinite(at) || (this.healthTimer && this.healthAt <= at)) return;
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.healthAt = at;
    this.healthTimer = setTimeout(() => {
      this.healthTimer = undefined;
      this.healthAt = Infinity;
      this.runHealthChecks();
    }, Math.max(0, at - Date.now()));
  }

  /** Arms the health timer for the earliest probe due among the running tasks (after each tick). */
  private scheduleHealth(): void {
    let next = Infinity;
    for (const t of this.tasks.values()) {
      if (t.state !== 'TASK_RUNNING' || t.killing) continue;
      for (const h of t.health) if (!h.inFlight && h.nextAt < next) next = h.nextAt;
    }
    this.armHealth(next);
  }

  /** Starts every probe that is due (within HEALTH_SLACK_MS), then re-arms the timer for the next one. */
  private runHealthChecks(): void {
    const now = Date.now();
    let next = Infinity;
    for (const t of this.tasks.values()) {
      if (t.state !== 'TASK_RUNNING' || t.killing) continue;
      t.app.healthChecks.forEach((hc, i) => {
        const h = t.health[i];
        if (!h || h.inFlight) return;
        if (h.nextAt > now + HEALTH_SLACK_MS) {
          next = Math.min(next, h.nextAt);
          return;
        }
        const target = probeTarget(t, hc, this.o.bindAddress);
        h.inFlight = true;
        h.nextAt = now + hc.intervalSeconds * 1000;
        const run = target ? probe(target) : Promise.resolve('no port to check');
        void run.then((failure) => {
          h.inFlight = false;
          if (this.tasks.get(t.id) !== t || t.killing) return;
          // Marathon's Ignored result keeps the old health and publishes nothing
          // (mesosphere/marathon src/main/scala/mesosphere/marathon/core/health/impl/HealthCheckActor.scala handleHealthResult)
          if (typeof failure !== 'object') this.healthResult(t, hc, h, failure);
          this.armHealth(h.nextAt);
        });
      });
    }
    this.armHealth(next);
  }

  private healthResult(t: TaskRecord, hc: ResolvedHealthCheck, h: HealthState, failure: string | undefined): void {
    const now = isoNow();
    const outcome = recordProbe(h, hc, failure, { iso: now, ms: Date.now() }, t.startedMs);
    if (outcome.became !== undefined) {
      this.o.bus.publish('health_status_changed_event', { appId: t.appId, instanceId: t.instanceId, version: t.version, alive: outcome.became });
      this.o.bus.publish('instance_health_changed_event', { instanceId: t.instanceId, runSpecId: t.appId, healthy: outcome.became, runSpecVersion: t.version });
      if (outcome.became) {
        this.backoff.delete(t.appId);
        this.kick();
      }
    }
    if (outcome.failed) this.o.bus.publish('failed_health_check_event', { appId: t.appId, taskId: t.instanceId, instanceId: t.instanceId, healthCheck: hc });
    if (!outcome.kill) return;
    this.o.bus.publish('unhealthy_instance_kill_event', {
      appId: t.appId,
      taskId: t.id,
      instanceId: t.instanceId,
      version: t.version,
      reason: failure,
      host: this.o.advertiseHost,
      slaveId: this.agentId,
    });
    const rec = this.state.apps[t.appId];
    if (rec)
      rec.lastTaskFailure = { appId: t.appId, host: this.o.advertiseHost, message: `unhealthy: ${failure}`, state: 'TASK_KILLED', taskId: t.id, timestamp: now, version: t.version, slaveId: this.agentId };
    this.bumpBackoff(t.app);
    this.kill(t, `unhealthy: ${failure}`);
  }

  /** Events for the SSE layer. */
  subscribe(listener: (e: MarathonEvent) => void): () => void {
    return this.o.bus.subscribe(listener);
  }

  /** Events the SSE layer itself raises (a stream attached or detached). */
  publish(eventType: string, fields: Record<string, unknown>): void {
    this.o.bus.publish(eventType, fields);
  }
}
