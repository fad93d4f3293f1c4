/**
 * Pure service-discovery model: Marathon apps with their embedded tasks → one entry per
 * (app, service port) with the addresses of its tasks. Used by `bbm endpoints` (every running
 * task) and by `bbm haproxy` (only tasks that are running and healthy).
 */
import type { AppInfo, Task } from '../marathon/types.js';

export interface Address {
  host: string;
  port: number;
  taskId: string;
  /** TASK_RUNNING and every Marathon health check alive (or the app has none). */
  healthy: boolean;
}

export interface Endpoint {
  /** Marathon's id, with its leading slash. */
  appId: string;
  /** The id as Marathon's text/plain /v2/tasks prints it: no leading slash, `/` → `_`. */
  safeId: string;
  /** Index of this service port among the app's ports (the `{n}` of HAPROXY_{n}_* labels). */
  portIndex: number;
  servicePort: number;
  protocol: string;
  /** Running tasks' host:port for this port, sorted by host, then port, then task id. */
  addresses: Address[];
}

export function safeAppId(appId: string): string {
  return appId.replace(/^\/+/, '').replace(/\//g, '_');
}

interface PortSpec {
  servicePort: number;
  protocol: string;
}

/** The app's service ports in index order: portMappings (bridge/container) or portDefinitions (host). */
export function servicePortsOf(app: AppInfo): PortSpec[] {
  const mappings = app.container?.portMappings ?? app.container?.docker?.portMappings;
  if (mappings && mappings.length > 0) {
    return mappings.map((m) => ({ servicePort: m.servicePort ?? 0, protocol: m.protocol ?? 'tcp' }));
  }
  if (app.portDefinitions && app.portDefinitions.length > 0) {
    return app.portDefinitions.map((d) => ({ servicePort: d.port, protocol: d.protocol ?? 'tcp' }));
  }
  // An app seen through a client that dropped the definition: fall back on what its tasks say.
  const fromTask = app.tasks?.find((t) => Array.isArray(t.servicePorts) && t.servicePorts.length > 0);
  return (fromTask?.servicePorts ?? []).map((p) => ({ servicePort: p, protocol: 'tcp' }));
}

/**
 * Marathon's own rule (and marathon-lb's): a task takes traffic when it is TASK_RUNNING and, if
 * the app has health checks, it has a result for each of them and all are alive. A task still in
 * its grace period has no result yet, so it gets no traffic.
 */
export function isTaskHealthy(app: AppInfo, task: Task): boolean {
  if (task.state !== 'TASK_RUNNING') return false;
  const checks = app.healthChecks?.length ?? 0;
  if (checks === 0) return true;
  const results = task.healthCheckResults ?? [];
  return results.length >= checks && results.every((r) => r && r.alive === true);
}

const byAddress = (a: Address, b: Address) =>
  a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0);

/** Every (app, service port) with its TASK_RUNNING tasks; deterministic order (app id, port index). */
export function buildEndpoints(apps: readonly AppInfo[]): Endpoint[] {
  const out: Endpoint[] = [];
  const sorted = [...apps].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const app of sorted) {
    const ports = servicePortsOf(app);
    ports.forEach((spec, index) => {
      const addresses: Address[] = [];
      for (const task of app.tasks ?? []) {
        if (task.state !== 'TASK_RUNNING') continue;
        const port = task.ports?.[index];
        if (typeof port !== 'number' || !task.host) continue;
        addresses.push({ host: task.host, port, taskId: task.id, healthy: isTaskHealthy(app, task) });
      }
      addresses.sort(byAddress);
      out.push({
        appId: app.id,
        safeId: safeAppId(app.id),
        portIndex: index,
        servicePort: spec.servicePort,
        protocol: spec.protocol,
        addresses,
      });
    });
  }
  return out;
}

/** The seed's line format: `webapp 20000 host:31156 host:31153`, one line per service port. */
export function formatEndpointLines(endpoints: readonly Endpoint[]): string[] {
  return endpoints.map((e) =>
    [clean(e.safeId), String(e.servicePort), ...e.addresses.map((a) => `${clean(a.host)}:${a.port}`)].join(' '),
  );
}

/** JSON form for `bbm endpoints --json`. */
export function endpointsJson(endpoints: readonly Endpoint[]) {
  return endpoints.map((e) => ({
    appId: e.appId,
    servicePort: e.servicePort,
    portIndex: e.portIndex,
    protocol: e.protocol,
    tasks: e.addresses.map((a) => ({ host: a.host, port: a.port, taskId: a.taskId, healthy: a.healthy })),
  }));
}

/** A value from the API printed in a space-separated line must not make new fields or lines. */
function clean(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\s\u0000-\u001f\u007f]+/g, '?');
}
