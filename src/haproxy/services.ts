/**
 * Pure: Marathon apps → the services HAProxy exposes, with marathon-lb's common labels read and
 * validated. Every value that will reach the configuration is checked against a strict form
 * here; anything else is dropped with a warning, so a hostile label or task field can never
 * add a line or a keyword to the generated file.
 */
import { isIP } from 'node:net';
import type { AppInfo, Task } from '../marathon/types.js';
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

/**
 * Whether `value` is a dotted-decimal IPv4 literal as node:net's isIPv4 reads one (four numbers
 * 0-255 without leading zeros), by a scan of its characters: it runs for every task, where the
 * regular expressions of isIP cost more than the rest of the task's checks.
 */
function isIPv4Literal(value: string): boolean {
  const n = value.length;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let i = 0;
  while (i < n) {
    const start = i;
    let octet = 0;
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && value.charCodeAt(start) === 48)) return false;
    parts++;
    if (i === n) break;
    if (value.charCodeAt(i) !== 46 || parts === 4) return false;
    i++;
    if (i === n) return false;
  }
  return parts === 4;
}

/** node:net's isIP (0, 4 or 6), with IPv4 (nearly every task's host) checked without a regular expression. */
export function ipVersion(value: string): 0 | 4 | 6 {
  return isIPv4Literal(value) ? 4 : (isIP(value) as 0 | 4 | 6);
}

/** Printable in a warning without breaking a log line. */
export function shown(value: unknown): string {
  if (typeof value !== 'string') return String(JSON.stringify(value) ?? value).slice(0, 80);
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** The marathon-lb labels read per port index; the names of index n are made once, not per app. */
interface PortLabelNames {
  GROUP: string;
  MODE: string;
  BALANCE: string;
  BIND_ADDR: string;
  VHOST: string;
  ENABLED: string;
}
const labelNamesByIndex: PortLabelNames[] = [];
function portLabelNames(index: number): PortLabelNames {
  let names = labelNamesByIndex[index];
  if (!names) {
    const name = (key: string) => `HAPROXY_${index}_${key}`;
    names = { GROUP: name('GROUP'), MODE: name('MODE'), BALANCE: name('BALANCE'), BIND_ADDR: name('BIND_ADDR'), VHOST: name('VHOST'), ENABLED: name('ENABLED') };
    labelNamesByIndex[index] = names;
  }
  return names;
}

type Labels = Record<string, unknown>;

/** A label's value when it is a string (anything else counts as absent, as before). */
function label(labels: Labels, name: string): string | undefined {
  const value = labels[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * marathon-lb's --group as a test of one port's labels: HAPROXY_{n}_GROUP, else HAPROXY_GROUP,
 * a comma-separated list that must hold `wanted`. Made once per run.
 */
function groupTest(wanted: string | undefined): (labels: Labels, names: PortLabelNames) => boolean {
  if (wanted === undefined || wanted === '*') return () => true;
  // A label that is exactly the wanted group (the usual case) needs no split.
  const plain = !wanted.includes(',') && wanted.trim() === wanted;
  return (labels, names) => {
    const g = label(labels, names.GROUP) ?? label(labels, 'HAPROXY_GROUP');
    if (g === undefined) return false;
    if (plain && g === wanted) return true;
    return g.split(',').map((s) => s.trim()).includes(wanted);
  };
}

const byId = (a: AppInfo, b: AppInfo) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byAddress = (a: Server, b: Server) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port || (a.taskId < b.taskId ? -1 : 1));
const NO_LABELS: Labels = {};

function healthyTasks(app: AppInfo): Task[] {
  const out: Task[] = [];
  for (const task of app.tasks ?? []) if (isTaskHealthy(app, task)) out.push(task);
  return out;
}

export function buildServices(apps: readonly AppInfo[], options: ServiceOptions): ServicesResult {
  const warnings: Warning[] = [];
  const services: Service[] = [];
  const usedPorts = new Map<number, string>();
  for (const p of options.reservedPorts ?? []) usedPorts.set(p, 'bbm haproxy itself');
  const usedVhosts = new Map<string, string>();
  const inGroup = groupTest(options.group);
  const sorted = apps.filter(isAppRecord).sort(byId);

  for (const app of sorted) {
    if (typeof app.id !== 'string' || !APP_ID.test(app.id)) {
      warnings.push({ path: shown(app.id), message: 'not a valid Marathon app id; the app is left out' });
      continue;
    }
    const labels = (app.labels ?? NO_LABELS) as Labels;
    const ports = servicePortsOf(app);
    // Health is per task, not per port: decided once for the app, when a port first needs it.
    let healthy: Task[] | undefined;
    for (let index = 0; index < ports.length; index++) {
      const spec = ports[index]!;
      const names = portLabelNames(index);
      const where = `${app.id} port ${index}`;
      if (!inGroup(labels, names)) continue;
      const enabled = label(labels, names.ENABLED);
      if (enabled !== undefined && enabled.toLowerCase() === 'false') continue;
      if (!Number.isInteger(spec.servicePort) || spec.servicePort < 1 || spec.servicePort > 65535) {
        warnings.push({ path: where, message: `service port ${shown(spec.servicePort)} is not a port in 1-65535; left out` });
        continue;
      }
      if (spec.protocol !== 'tcp' && !String(spec.protocol).split(',').includes('tcp')) {
        warnings.push({ path: where, message: `protocol ${shown(spec.protocol)} has no tcp; HAProxy cannot serve it; left out` });
        continue;
      }

      let mode: Mode = 'tcp';
      const modeLabel = label(labels, names.MODE);
      if (modeLabel !== undefined) {
        const v = modeLabel.trim().toLowerCase();
        if (v === 'http' || v === 'tcp') mode = v;
        else warnings.push({ path: `${app.id} labels.${names.MODE}`, message: `${shown(modeLabel)} is not http or tcp; using tcp` });
      } else {
        // marathon-lb: an HTTP health check on this port means the service speaks HTTP.
        for (const h of app.healthChecks ?? []) {
          const protocol = h.protocol ?? 'HTTP';
          if ((h.portIndex ?? 0) === index && (protocol === 'HTTP' || protocol === 'MESOS_HTTP')) mode = 'http';
        }
      }

      let balance: Balance = 'roundrobin';
      const balanceLabel = label(labels, names.BALANCE);
      if (balanceLabel !== undefined) {
        const v = balanceLabel.trim().toLowerCase();
        if ((BALANCE_ALGORITHMS as readonly string[]).includes(v)) balance = v as Balance;
        else
          warnings.push({
            path: `${app.id} labels.${names.BALANCE}`,
            message: `${shown(balanceLabel)} is not one of ${BALANCE_ALGORITHMS.join(', ')}; using roundrobin`,
          });
      }

      let bind = options.bind;
      const bindLabel = label(labels, names.BIND_ADDR);
      if (bindLabel !== undefined) {
        const v = bindLabel.trim();
        if (ipVersion(v)) bind = v;
        else warnings.push({ path: `${app.id} labels.${names.BIND_ADDR}`, message: `${shown(bindLabel)} is not an IP address; using ${bind}` });
      }

      const vhosts: string[] = [];
      const vhostLabel = label(labels, names.VHOST);
      if (vhostLabel !== undefined) {
        for (const raw of vhostLabel.split(',')) {
          const v = raw.trim().toLowerCase();
          if (v === '') continue;
          if (!isHostname(v)) {
            warnings.push({ path: `${app.id} labels.${names.VHOST}`, message: `${shown(raw)} is not a host name; ignored` });
            continue;
          }
          const owner = usedVhosts.get(v);
          if (owner) {
            warnings.push({ path: `${app.id} labels.${names.VHOST}`, message: `virtual host ${v} is already routed to ${owner}; ignored here` });
            continue;
          }
          usedVhosts.set(v, where);
          vhosts.push(v);
        }
        if (vhosts.length > 0) mode = 'http';
      }

      const owner = usedPorts.get(spec.servicePort);
      if (owner) {
        warnings.push({ path: where, message: `service port ${spec.servicePort} is already used by ${owner}; left out (service ports must be unique)` });
        for (const v of vhosts) usedVhosts.delete(v);
        continue;
      }
      usedPorts.set(spec.servicePort, where);

      const servers: Server[] = [];
      healthy ??= healthyTasks(app);
      for (const task of healthy) {
        const port = task.ports?.[index];
        if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
          warnings.push({ path: `${app.id} task ${shown(task.id)}`, message: `host port ${shown(port)} for port index ${index} is not a port; task left out` });
          continue;
        }
        const host = typeof task.host === 'string' ? task.host : '';
        const literal = ipVersion(host) !== 0;
        const ip = literal ? host : isHostname(host) ? options.resolve(host) : undefined;
        if (!ip || (!literal && !ipVersion(ip))) {
          warnings.push({ path: `${app.id} task ${shown(task.id)}`, message: `host ${shown(task.host)} is not an IP or a resolvable host name; task left out` });
          continue;
        }
        servers.push({ ip, port: port as number, taskId: String(task.id) });
      }
      if (servers.length > 1) servers.sort(byAddress);

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
    }
  }
  return { services, warnings };
}
