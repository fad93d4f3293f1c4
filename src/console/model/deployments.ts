/**
 * `/bbm/api/deployments` (read from Marathon by the master) → what the Deployments page shows per
 * environment and app. Endpoints and health use the same code as `bbm endpoints` and the HAProxy
 * bridge (src/discovery/model.ts), so the console and the CLI never disagree.
 */
import { buildEndpoints } from '../../discovery/model.js';
import { isTaskHealthy } from '../../marathon/task-health.js';
import type { AppInfo } from '../../marathon/types.js';
import { BUILD_LABELS } from '../../deploy/labels.js';

/** An app as the endpoint gives it: Marathon's fields the console needs, plus digest and history. */
export type DeployedApp = AppInfo & {
  digest?: string | null;
  deployments?: { id: string; version: string; currentStep?: number; totalSteps?: number; currentActions?: { action?: string; app?: string }[] }[];
  history?: { version: string; image?: string | null; labels: Record<string, string> }[];
};

export interface EnvironmentData {
  name: string;
  apps: DeployedApp[];
  error?: string;
}

export interface BuildRef {
  project: string | null;
  number: string | null;
  url: string | null;
  branch: string | null;
  commit: string | null;
  describe: string | null;
}

export interface AppView {
  id: string;
  project: string | null;
  image: string | null;
  digest: string | null;
  build: BuildRef;
  healthy: number;
  total: number;
  /** `servicePort → host:port …` per service port, as `bbm endpoints` prints them. */
  endpoints: { servicePort: number; addresses: string[] }[];
  /** e.g. `deploying version 2026-…: step 1 of 2 (StartApplication)`; null when none runs. */
  inProgress: string | null;
  version: string;
  history: { version: string; image: string | null; build: BuildRef; current: boolean }[];
}

function buildRef(labels: Record<string, string> | undefined): BuildRef {
  const l = labels ?? {};
  const get = (k: string) => (typeof l[k] === 'string' && l[k] !== '' ? l[k] : null);
  return {
    project: get(BUILD_LABELS.project),
    number: get(BUILD_LABELS.buildNumber),
    url: safeUrl(get(BUILD_LABELS.buildUrl)),
    branch: get(BUILD_LABELS.branch),
    commit: get(BUILD_LABELS.commit),
    describe: get(BUILD_LABELS.describe),
  };
}

/** Only http(s) links from a label reach an `href` (a label is data anyone who deploys can set). */
export function safeUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}

export function appView(app: DeployedApp): AppView {
  const tasks = (app.tasks ?? []).filter((t) => t.state === 'TASK_RUNNING');
  const current = tasks.filter((t) => t.version === app.version || !t.version);
  const endpoints = buildEndpoints([app]).map((e) => ({ servicePort: e.servicePort, addresses: e.addresses.map((a) => `${a.host}:${a.port}`) }));
  const d = app.deployments?.[0];
  const inProgress = d
    ? `deploying version ${d.version}${d.totalSteps ? `: step ${d.currentStep ?? 0} of ${d.totalSteps}` : ''}${
        d.currentActions?.length ? ` (${d.currentActions.map((a) => a.action ?? '').filter(Boolean).join(', ')})` : ''
      }`
    : null;
  const currentConfig = app.versionInfo?.lastConfigChangeAt ?? app.version;
  return {
    id: app.id,
    project: app.labels?.[BUILD_LABELS.project] ?? null,
    image: app.container?.docker?.image ?? null,
    digest: app.digest ?? null,
    build: buildRef(app.labels),
    healthy: current.filter((t) => isTaskHealthy(app, t)).length,
    total: app.instances ?? 0,
    endpoints,
    inProgress,
    version: app.version,
    history: (app.history ?? []).map((h) => ({ version: h.version, image: h.image ?? null, build: buildRef(h.labels), current: h.version === currentConfig })),
  };
}

export function environmentViews(envs: readonly EnvironmentData[]): { name: string; error: string | null; apps: AppView[] }[] {
  return envs.map((e) => ({ name: e.name, error: e.error ?? null, apps: [...e.apps].sort((a, b) => (a.id < b.id ? -1 : 1)).map(appView) }));
}
