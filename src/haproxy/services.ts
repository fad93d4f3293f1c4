/**
 * Pure: Marathon apps → the services HAProxy exposes, with marathon-lb's common labels read and
 * validated. Every value that will reach the configuration is checked against a strict form
 * here; anything else is dropped with a warning, so a hostile label or task field can never
 * add a line or a keyword to the generated file.
 */
import { isIP } from 'node:net';
import type { AppInfo } from '../marathon/types.js';
import { safeAppId } from '../marathon/app-id.js';
import { servicePortsOf } from '../marathon/service-ports.js';
import { isTaskHealthy } from '../marathon/task-health.js';
import { isAppRecord } from '../discovery/model.js';

export type Mode = 'tcp' | 'http';
export const BALANCE_ALGORITHMS = ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random'] as const;
export type Balance = (typeof BALANCE_ALGORITHMS)[number];

export interface Server {
  /** An IP literal (hosts are resolved before rendering: HAProxy's runtime API takes IPs only). */
  ip: string;
  port: number;
  taskId: string;
}

export interface Service {
  appId: string;
  portIndex: number;
  servicePort: number;
  /** Frontend and backend name: `bbm_<safe app id>_<service port>`; only [A-Za-z0-9_.-]. */
  name: string;
  mode: Mode;
  balance: Balance;
  bind: string;
  vhosts: string[];
  /** Running and healthy tasks, sorted by ip, port, task id. */
  servers: Server[];
}

export interface ServiceOptions {
  /** Default bind address of every frontend. */
  bind: string;
  /** marathon-lb's --group: only apps whose HAPROXY_GROUP matches; `*` or undefined → all apps. */
  group?: string;
  /** Host name or IP of a task → IP literal; undefined = cannot resolve (the task is left out). */
  resolve: (host: string) => string | undefined;
  /** Ports HAProxy itself binds (vhost frontend, stats…): a service port equal to one is refused. */
  reservedPorts?: readonly number[];
}

export interface Warning {
  /** e.g. `/webapp labels.HAPROXY_0_MODE` */
  path: string;
  message: string;
}

export interface ServicesResult {
  services: Service[];
  warnings: Warning[];
}

const APP_ID = /^(\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?)+$/;
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export function isHostname(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  return value.split('.').every((part) => HOST_LABEL.test(part));
}

/** Printable in a warning without breaking a log line. */
export function shown(value: unknown): string {
  if (typeof value !== 'string') return String(JSON.stringify(value) ?? value).slice(0, 80);
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function label(app: AppInfo, index: number, key: string): { name: string; value: string } | undefined {
  const labels = app.labels ?? {};
  const name = `HAPROXY_${index}_${key}`;
  const value = (labels as Record<string, unknown>)[name];
  return typeof value === 'string' ? { name, value } : undefined;
}

function groupOf(app: AppInfo, index: number): string | undefined {
  const labels = (app.labels ?? {}) as Record<string, unknown>;
  const perPort = labels[`HAPROXY_${index}_GROUP`];
  if (typeof perPort === 'string') return perPort;
  const appGroup = labels.HAPROXY_GROUP;
  return typeof appGroup === 'string' ? appGroup : undefined;
}

function groupMatches(wanted: string | undefined, app: AppInfo, index: number): boolean {
  if (wanted === undefined || wanted === '*') return true;
  const g = groupOf(app, index);
  return g !== undefined && g.split(',').map((s) => s.trim()).includes(wanted);
}

export function buildServices(apps: readonly AppInfo[], options: ServiceOptions): ServicesResult {
  const warnings: Warning[] = [];
  const services: Service[] = [];
  const usedPorts = new Map<string, string>();
  for (const p of options.reservedPorts ?? []) usedPorts.set(String(p), 'bbm haproxy itself');
  const usedVhosts = new Map<string, string>();
  const sorted = apps.filter(isAppRecord).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  for (const app of sorted) {
    if (typeof app.id !== 'string' || !APP_ID.test(app.id)) {
      warnings.push({ path: shown(app.id), message: 'not a valid Marathon app id; the app is left out' });
      continue;
    }
    const ports = servicePortsOf(app);
    ports.forEach((spec, index) => {
      const where = `${app.id} port ${index}`;
      if (!groupMatches(options.group, app, index)) return;
      const enabled = label(app, index, 'ENABLED');
      if (enabled && enabled.value.toLowerCase() === 'false') return;
      if (!Number.isInteger(spec.servicePort) || spec.servicePort < 1 || spec.servicePort > 65535) {
        warnings.push({ path: where, message: `service port ${shown(spec.servicePort)} is not a port in 1-65535; left out` });
        return;
      }
      if (!String(spec.protocol).split(',').includes('tcp')) {
        warnings.push({ path: where, message: `protocol ${shown(spec.protocol)} has no tcp; HAProxy cannot serve it; left out` });
        return;
      }

      let mode: Mode = 'tcp';
      const modeLabel = label(app, index, 'MODE');
      if (modeLabel) {
        const v = modeLabel.value.trim().toLowerCase();
        if (v === 'http' || v === 'tcp') mode = v;
        else warnings.push({ path: `${app.id} labels.${modeLabel.name}`, message: `${shown(modeLabel.value)} is not http or tcp; using tcp` });
      } else {
        // marathon-lb: an HTTP health check on this port means the service speaks HTTP.
        const http = (app.healthChecks ?? []).some(
          (h) => (h.portIndex ?? 0) === index && ['HTTP', 'MESOS_HTTP'].includes(h.protocol ?? 'HTTP'),
        );
        if (http) mode = 'http';
      }

      let balance: Balance = 'roundrobin';
      const balanceLabel = label(app, index, 'BALANCE');
      if (balanceLabel) {
        const v = balanceLabel.value.trim().toLowerCase();
        if ((BALANCE_ALGORITHMS as readonly string[]).includes(v)) balance = v as Balance;
        else
          warnings.push({
            path: `${app.id} labels.${balanceLabel.name}`,
            message: `${shown(balanceLabel.value)} is not one of ${BALANCE_ALGORITHMS.join(', ')}; using roundrobin`,
          });
      }

      let bind = options.bind;
      const bindLabel = label(app, index, 'BIND_ADDR');
      if (bindLabel) {
        const v = bindLabel.value.trim();
        if (isIP(v)) bind = v;
        else warnings.push({ path: `${app.id} labels.${bindLabel.name}`, message: `${shown(bindLabel.value)} is not an IP address; using ${bind}` });
      }

      const vhosts: string[] = [];
      const vhostLabel = label(app, index, 'VHOST');
      if (vhostLabel) {
        for (const raw of vhostLabel.value.split(',')) {
          const v = raw.trim().toLowerCase();
          if (v === '') continue;
          if (!isHostname(v)) {
            warnings.push({ path: `${app.id} labels.${vhostLabel.name}`, message: `${shown(raw)} is not a host name; ignored` });
            continue;
          }
          const owner = usedVhosts.get(v);
          if (owner) {
            warnings.push({ path: `${app.id} labels.${vhostLabel.name}`, message: `virtual host ${v} is already routed to ${owner}; ignored here` });
            continue;
          }
          usedVhosts.set(v, where);
          vhosts.push(v);
        }
        if (vhosts.length > 0) mode = 'http';
      }

      const portKey = `${spec.servicePort}`;
      const owner = usedPorts.get(portKey);
      if (owner) {
        warnings.push({ path: where, message: `service port ${spec.servicePort} is already used by ${owner}; left out (service ports must be unique)` });
        for (const v of vhosts) usedVhosts.delete(v);
        return;
      }
      usedPorts.set(portKey, where);

      const servers: Server[] = [];
      for (const task of app.tasks ?? []) {
        if (!isTaskHealthy(app, task)) continue;
        const port = task.ports?.[index];
        if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
          warnings.push({ path: `${app.id} task ${shown(task.id)}`, message: `host port ${shown(port)} for port index ${index} is not a port; task left out` });
          continue;
        }
        const host = typeof task.host === 'string' ? task.host : '';
        const ip = isIP(host) ? host : isHostname(host) ? options.resolve(host) : undefined;
        if (!ip || !isIP(ip)) {
          warnings.push({ path: `${app.id} task ${shown(task.id)}`, message: `host ${shown(task.host)} is not an IP or a resolvable host name; task left out` });
          continue;
        }
        servers.push({ ip, port: port as number, taskId: String(task.id) });
      }
      servers.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port || (a.taskId < b.taskId ? -1 : 1)));

      services.push({
        appId: app.id,
        portIndex: index,
        servicePort: spec.servicePort,
        name: `bbm_${safeAppId(app.id)}_${spec.servicePort}`,
        mode,
        balance,
        bind,
        vhosts,
        servers,
      });
    });
  }
  return { services, warnings };
}
