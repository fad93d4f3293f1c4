/**
 * Pure service-discovery model: Marathon apps with their embedded tasks → one entry per
 * (app, service port) with the addresses of its tasks. Used by `bbm endpoints` (every running
 * task) and by `bbm haproxy` (only tasks that are running and healthy).
 */
import { safeAppId } from '../marathon/app-id.js';
import { servicePortsOf } from '../marathon/service-ports.js';
import { isTaskHealthy } from '../marathon/task-health.js';
import type { AppInfo } from '../marathon/types.js';

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

/** Marathon's answer is input: an entry that is not an app object with a string id is skipped. */
export function isAppRecord(app: unknown): app is AppInfo {
  return app !== null && typeof app === 'object' && !Array.isArray(app) && typeof (app as { id?: unknown }).id === 'string';
}

const byAddress = (a: Address, b: Address) =>
  a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0);

/** Every (app, service port) with its TASK_RUNNING tasks; deterministic order (app id, port index). */
export function buildEndpoints(apps: readonly AppInfo[]): Endpoint[] {
  const out: Endpoint[] = [];
  const sorted = apps.filter(isAppRecord).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
