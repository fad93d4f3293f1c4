/**
 * How a task runs as a Docker container: Marathon's task environment ($PORT0…, $HOST,
 * MARATHON_APP_*, MESOS_TASK_ID), port bindings, limits, `cmd` through a shell as Mesos runs it,
 * and the labels by which the engine finds its containers again. Pure.
 */
import { isBridge } from './app.js';
import type { ContainerSpec, PortBinding } from './docker.js';
import { LABEL_APP, LABEL_CLUSTER, LABEL_CONFIG, LABEL_ENGINE, LABEL_PORTS, LABEL_STAGED, LABEL_STATE, LABEL_TASK, LABEL_VERSION } from './docker.js';
import type { TaskRecord } from './task-record.js';

export interface SpecContext {
  /** Cluster name (label, container name). */
  name: string;
  /** The state folder's identity (label): the engine owns exactly these containers. */
  stateId: string;
  engineUrl: string;
  advertiseHost: string;
  bindAddress: string;
  defaultImage: string;
}

export function containerSpec(t: TaskRecord, c: SpecContext): ContainerSpec {
  const app = t.app;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(app.env ?? {})) if (typeof v === 'string') env[k] = v;
  const bridge = isBridge(app);
  const names = bridge ? (app.container?.portMappings ?? []).map((m) => m.name) : (app.portDefinitions ?? []).map((d) => d.name);
  t.hostPorts.forEach((p, i) => {
    env[`PORT${i}`] = String(p);
    const name = names[i];
    if (name) env[`PORT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = String(p);
  });
  if (t.hostPorts.length > 0) {
    env.PORT = String(t.hostPorts[0]);
    env.PORTS = t.hostPorts.join(',');
  }
  Object.assign(env, {
    HOST: c.advertiseHost,
    MARATHON_APP_ID: app.id,
    MARATHON_APP_VERSION: app.version,
    MARATHON_APP_DOCKER_IMAGE: app.container?.docker?.image ?? '',
    MARATHON_APP_RESOURCE_CPUS: String(app.cpus),
    MARATHON_APP_RESOURCE_MEM: String(app.mem),
    MESOS_TASK_ID: t.id,
  });
  for (const [k, v] of Object.entries(app.labels)) {
    const key = `MARATHON_APP_LABEL_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
    if (key.length < 200 && !/[\0\n=]/.test(v)) env[key] = v;
  }
  const ports: PortBinding[] = [];
  if (bridge)
    (app.container?.portMappings ?? []).forEach((m, i) => {
      const hostPort = t.hostPorts[i];
      if (hostPort === undefined) return;
      const containerPort = m.containerPort === 0 ? hostPort : m.containerPort;
      for (const proto of m.protocol.split(',')) ports.push({ containerPort, hostPort, protocol: proto === 'udp' ? 'udp' : 'tcp' });
    });
  const labels: Record<string, string> = {
    [LABEL_CLUSTER]: c.name,
    [LABEL_STATE]: c.stateId,
    [LABEL_ENGINE]: c.engineUrl,
    [LABEL_APP]: app.id,
    [LABEL_TASK]: t.id,
    [LABEL_VERSION]: app.version,
    [LABEL_CONFIG]: app.versionInfo.lastConfigChangeAt,
    [LABEL_PORTS]: JSON.stringify(t.hostPorts),
    [LABEL_STAGED]: t.stagedAt,
  };
  const spec: ContainerSpec = {
    name: `bbm-dc-${c.name}-${t.instanceId}`.slice(0, 250),
    image: app.container?.docker?.image ?? c.defaultImage,
    forcePull: app.container?.docker?.forcePullImage ?? false,
    env,
    labels,
    network: bridge ? 'bridge' : 'host',
    bindAddress: c.bindAddress,
    ports,
    cpus: app.cpus,
    memMiB: app.mem,
    privileged: app.container?.docker?.privileged ?? false,
  };
  // Mesos runs `cmd` through a shell (overriding the entrypoint) and `args` as the image's command.
  if (app.cmd !== undefined) {
    spec.entrypoint = ['/bin/sh', '-c'];
    spec.cmd = [app.cmd];
  } else if (app.args && app.args.length > 0) spec.cmd = app.args;
  if (app.user) spec.user = app.user;
  return spec;
}
