/**
 * The devcluster's resolved app: an app definition with every default filled in, in Marathon
 * 1.10's canonical (1.5+ networking) form. This is what GET /v2/apps/{id} returns, minus the
 * runtime fields (counts, tasks, deployments).
 */
import { servicePortsOf as marathonServicePorts } from '../marathon/service-ports.js';
import type { HealthCheckProtocol, Network, Protocol } from '../marathon/types.js';

export interface ResolvedPortMapping {
  containerPort: number;
  hostPort?: number;
  servicePort: number;
  protocol: Protocol;
  name?: string;
  labels: Record<string, string>;
}

export interface ResolvedPortDefinition {
  port: number;
  protocol: Protocol;
  name?: string;
  labels: Record<string, string>;
}

export interface ResolvedHealthCheck {
  protocol: HealthCheckProtocol;
  path?: string;
  portIndex?: number;
  port?: number;
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
  delaySeconds: number;
  ignoreHttp1xx?: boolean;
  ipProtocol?: 'IPv4' | 'IPv6';
  command?: { value: string };
}

export interface ResolvedApp {
  id: string;
  cmd?: string;
  args?: string[];
  backoffFactor: number;
  backoffSeconds: number;
  container?: {
    type: 'DOCKER' | 'MESOS';
    docker?: { forcePullImage: boolean; image: string; parameters: { key: string; value: string }[]; privileged: boolean };
    volumes: unknown[];
    portMappings?: ResolvedPortMapping[];
  };
  constraints?: string[][];
  cpus: number;
  disk: number;
  env?: Record<string, string | { secret: string }>;
  executor: string;
  fetch?: { uri: string; extract?: boolean; executable?: boolean; cache?: boolean }[];
  instances: number;
  labels: Record<string, string>;
  maxLaunchDelaySeconds: number;
  mem: number;
  gpus: number;
  networks: Network[];
  portDefinitions?: ResolvedPortDefinition[];
  requirePorts: boolean;
  healthChecks: ResolvedHealthCheck[];
  upgradeStrategy: { maximumOverCapacity: number; minimumHealthCapacity: number };
  user?: string;
  /** Seconds between SIGTERM and SIGKILL when a task is stopped (absent: Mesos' Docker executor kills at once). */
  taskKillGracePeriodSeconds?: number;
  dependencies?: string[];
  version: string;
  versionInfo: { lastScalingAt: string; lastConfigChangeAt: string };
  killSelection: 'YOUNGEST_FIRST' | 'OLDEST_FIRST';
  unreachableStrategy: { inactiveAfterSeconds: number; expungeAfterSeconds: number } | 'disabled';
  role: string;
  [extra: string]: unknown;
}

export function isBridge(app: ResolvedApp): boolean {
  return app.networks[0]?.mode === 'container/bridge';
}

export function isHostNetworking(app: ResolvedApp): boolean {
  return (app.networks[0]?.mode ?? 'host') === 'host';
}

/** The app's service ports, in port order: Marathon's rule (src/marathon/service-ports.ts) on the normalised app. */
export function servicePortsOf(app: ResolvedApp): number[] {
  return marathonServicePorts(app).map((p) => p.servicePort);
}

/** Number of host ports each task needs. */
export function hostPortCount(app: ResolvedApp): number {
  if (isHostNetworking(app)) return (app.portDefinitions ?? []).length;
  return (app.container?.portMappings ?? []).filter((p) => p.hostPort !== undefined).length;
}

/** Fields that are not part of the "configuration" (a change in only these is a scale). */
const NON_CONFIG = new Set(['instances', 'version', 'versionInfo']);

export function sameConfig(a: ResolvedApp, b: ResolvedApp): boolean {
  return stableJson(a, NON_CONFIG) === stableJson(b, NON_CONFIG);
}

export function stableJson(value: unknown, skip: Set<string> = new Set()): string {
  const walk = (v: unknown, top: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, false));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        if (top && skip.has(k)) continue;
        out[k] = walk((v as Record<string, unknown>)[k], false);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(walk(value, true));
}
