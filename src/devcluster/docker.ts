/**
 * The devcluster's one adapter to the Docker engine (dockerode): run a task's container, list the
 * containers of one cluster (by label), stop and remove them. Nothing else talks to Docker.
 */
import http from 'node:http';
import { inspect } from 'node:util';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { readJsonLines } from '../docker/progress.js';

export const LABEL_CLUSTER = 'bbm.devcluster.name';
export const LABEL_APP = 'bbm.devcluster.app';
export const LABEL_TASK = 'bbm.devcluster.task';
export const LABEL_VERSION = 'bbm.devcluster.version';
export const LABEL_CONFIG = 'bbm.devcluster.config';
export const LABEL_PORTS = 'bbm.devcluster.ports';
export const LABEL_STAGED = 'bbm.devcluster.staged';
/** The state folder's identity: an engine owns exactly the containers that carry its own. */
export const LABEL_STATE = 'bbm.devcluster.state';
/** Where the engine that started a container listened (to tell a live owner from a stale one). */
export const LABEL_ENGINE = 'bbm.devcluster.engine';

export interface PortBinding {
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
}

/** `missing`: pull images that are not present (Marathon's agents always can); `never`: only local images. */
export type PullPolicy = 'missing' | 'never';

export interface ContainerSpec {
  name: string;
  image: string;
  forcePull: boolean;
  entrypoint?: string[];
  cmd?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  network: 'host' | 'bridge';
  bindAddress: string;
  ports: PortBinding[];
  cpus: number;
  memMiB: number;
  user?: string;
  privileged: boolean;
}

export interface ContainerSummary {
  id: string;
  labels: Record<string, string>;
  running: boolean;
}

/** A container of the cluster died (stopped, exited, was killed) or was removed: what the events stream says. */
export interface ContainerEvent {
  id: string;
  action: 'die' | 'destroy';
  labels: Record<string, string>;
}

export interface ContainerDetails {
  running: boolean;
  exitCode: number;
  startedAt: string;
  ipAddress: string | undefined;
  error: string;
}

export class DockerRuntime {
  private readonly docker: Docker;
  private limitsUnsupported = false;
  /** Images seen present: a launch does not ask again (a create that finds one gone asks anew). */
  private readonly present = new Set<string>();
  private closed = false;
  onWarning: ((line: string) => void) | undefined;

  /** Every request to the engine goes through this agent, so close() can cut the ones in flight. */
  private readonly agent = new http.Agent({ keepAlive: false });

  constructor(
    socketPath = '/var/run/docker.sock',
    private readonly pull: PullPolicy = 'missing',
  ) {
    // docker-modem formats every request's options with util.inspect (showHidden, depth null) even
    // when its debug log is off, the agent included: with it every socket in flight, so each request
    // cost more the more were running (most of the engine's CPU while it started 50 containers).
    Object.defineProperty(this.agent, inspect.custom, { value: () => 'http.Agent (bbm devcluster → Docker)' });
    this.docker = new Docker({ socketPath, agent: this.agent } as Docker.DockerOptions);
  }

  /** Aborts every Docker request in flight (a pull, a stop waiting out its grace period): stopping must not wait for them. */
  close(): void {
    this.closed = true;
    this.agent.destroy();
  }

  /**
   * Follows Docker's event stream for the containers of one cluster (`die`, `destroy`), so the
   * engine hears of a container that ends without listing them all on every tick. `live(true)`
   * once the stream is open (events before it were missed: list once), `live(false)` when it
   * breaks; it reconnects after a second until close().
   */
  watch(cluster: string, onEvent: (e: ContainerEvent) => void, live: (open: boolean) => void): void {
    const connect = async () => {
      if (this.closed) return;
      let stream: NodeJS.ReadableStream;
      try {
        stream = (await this.docker.getEvents({ filters: { type: ['container'], event: ['die', 'destroy'], label: [`${LABEL_CLUSTER}=${cluster}`] } })) as NodeJS.ReadableStream;
      } catch {
        setTimeout(() => void connect(), 1000).unref();
        return;
      }
      live(true);
      type DockerEvent = { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
      readJsonLines<DockerEvent>(stream as Readable, (e) => {
        if ((e.Action === 'die' || e.Action === 'destroy') && e.Actor?.ID) onEvent({ id: e.Actor.ID, action: e.Action, labels: e.Actor.Attributes ?? {} });
      }).catch(() => {}); // a broken stream ends below ('error', 'close') and is made again
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        live(false);
        if (!this.closed) setTimeout(() => void connect(), 1000).unref();
      };
      stream.once('end', end);
      stream.once('close', end);
      stream.once('error', end);
    };
    void connect();
  }

  /** Labels of the presence volume `name`, or undefined when there is none. */
  async volumeLabels(name: string): Promise<Record<string, string> | undefined> {
    try {
      const v = await this.docker.getVolume(name).inspect();
      return (v.Labels ?? {}) as Record<string, string>;
    } catch (e) {
      if (isGone(e)) return undefined;
      throw e;
    }
  }

  /** Creates the volume with these labels (an existing one is returned as it is: the caller reads its labels back). */
  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.docker.createVolume({ Name: name, Labels: labels });
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (e) {
      if (!isGone(e)) throw e;
    }
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  async list(cluster: string): Promise<ContainerSummary[]> {
    const all = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${cluster}`] } });
    return all.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, running: c.State === 'running' }));
  }

  async inspect(id: string): Promise<ContainerDetails> {
    const info = await this.docker.getContainer(id).inspect();
    const nets = Object.values(info.NetworkSettings?.Networks ?? {});
    const ip = nets.map((n) => n.IPAddress).find((a) => a);
    return {
      running: info.State.Running,
      exitCode: info.State.ExitCode,
      startedAt: info.State.StartedAt,
      ipAddress: ip || undefined,
      error: info.State.Error ?? '',
    };
  }

  private async ensureImage(image: string, force: boolean): Promise<void> {
    if (!force && this.present.has(image)) return;
    await this.findOrPull(image, force);
    this.present.add(image);
  }

  private async findOrPull(image: string, force: boolean): Promise<void> {
    if (this.pull === 'never') {
      try {
        await this.docker.getImage(image).inspect();
        return;
      } catch {
        throw new Error(`image ${image} is not present and pulling is off (--pull never)`);
      }
    }
    if (!force) {
      try {
        await this.docker.getImage(image).inspect();
        return;
      } catch {
        /* not present: pull it */
      }
    }
    // Without a tag the engine would pull every tag of the repository.
    const lastPart = image.slice(image.lastIndexOf('/') + 1);
    const ref = image.includes('@') || lastPart.includes(':') ? image : `${image}:latest`;
    const stream = await this.docker.pull(ref);
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
        const failed = err ?? output.find((o) => o.error);
        if (failed) reject(failed instanceof Error ? failed : new Error(String(failed.error)));
        else resolve();
      }),
    );
  }

  /** Creates and starts the container; returns its id. */
  async run(spec: ContainerSpec): Promise<string> {
    await this.ensureImage(spec.image, spec.forcePull);
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    if (spec.network === 'bridge')
      for (const p of spec.ports) {
        const key = `${p.containerPort}/${p.protocol}`;
        exposed[key] = {};
        (bindings[key] ??= []).push({ HostIp: spec.bindAddress, HostPort: String(p.hostPort) });
      }
    const create = (withLimits: boolean) => this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels,
      ...(spec.user ? { User: spec.user } : {}),
      ExposedPorts: exposed,
      HostConfig: {
        NetworkMode: spec.network,
        PortBindings: bindings,
        Init: true,
        Privileged: spec.privileged,
        ...(withLimits && spec.cpus > 0 ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
        // Docker refuses limits below 6 MiB; Marathon's mem is MiB.
        ...(withLimits && spec.memMiB > 0 ? { Memory: Math.max(6, Math.round(spec.memMiB)) * 1024 * 1024 } : {}),
      },
    });
    let container: Docker.Container;
    try {
      container = await create(!this.limitsUnsupported).catch(async (e: unknown) => {
        // removed since it was last seen: look (or pull) again, once
        if (!isGone(e) || !this.present.delete(spec.image)) throw e;
        await this.ensureImage(spec.image, false);
        return await create(!this.limitsUnsupported);
      });
    } catch (e) {
      // An engine without the cpu/memory cgroup controllers refuses limits: run without them.
      if (this.limitsUnsupported || !/cgroup|memory|cpu/i.test((e as Error).message)) throw e;
      this.limitsUnsupported = true;
      this.onWarning?.(`the Docker engine refuses cpu/memory limits (${(e as Error).message}); tasks run without them`);
      container = await create(false);
    }
    try {
      await container.start();
    } catch (e) {
      await container.remove({ force: true }).catch(() => undefined);
      throw e;
    }
    return container.id;
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: graceSeconds });
    } catch (e) {
      if (!isGone(e) && !isNotModified(e)) throw e;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (e) {
      if (!isGone(e) && !String((e as Error).message).includes('already in progress')) throw e;
    }
  }
}

function isGone(e: unknown): boolean {
  return (e as { statusCode?: number }).statusCode === 404;
}
function isNotModified(e: unknown): boolean {
  return (e as { statusCode?: number }).statusCode === 304;
}
