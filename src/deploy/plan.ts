/**
 * planDeploy: template + build facts + (optionally) the running app → the exact definition to PUT,
 * the lint result and the request. Pure and serialisable: `--dry-run` prints it, the executor
 * performs it, tests check it without a network.
 */
import { normalizeAppId } from '../marathon/app-id.js';
import type { AppDefinition, AppInfo } from '../marathon/types.js';
import type { Problem } from '../errors.js';
import { lintApp, type Finding } from './lint.js';
import { fillTemplate, imageRefProblems, type BuildFacts } from './template.js';
import { BUILD_LABELS } from './labels.js';

/** What an environment changes in the filled definition (from the config's per-environment values). */
export interface EnvironmentOverrides {
  /** Replaces the template's id (the environment's app id). */
  appId?: string;
  instances?: number;
  cpus?: number;
  mem?: number;
  disk?: number;
  /** Added to the labels; they win over the template's (bbm's build labels win over these). */
  labels?: Record<string, string>;
}

export interface DeployOptions {
  force: boolean;
  strict: boolean;
  keepInstances: boolean;
  rollback: boolean;
  timeoutSeconds: number;
}

export interface DeployPlan {
  appId: string;
  definition: AppDefinition;
  request: { method: 'PUT'; path: string; query: { force: boolean; partialUpdate: false } };
  findings: Finding[];
  /** Problems that stop the deploy: template errors, lint errors, and warnings under --strict. */
  blocking: Problem[];
  /** What was changed on the way from the template, in words, for the log. */
  notes: string[];
  options: DeployOptions;
}

export { BUILD_LABELS };

export function planDeploy(input: {
  template: unknown;
  facts: BuildFacts;
  options: DeployOptions;
  /** The running app (only needed for --keep-instances); null when it does not exist yet. */
  current?: AppInfo | null;
  /** The environment's values (instances, resources, labels, app id). */
  overrides?: EnvironmentOverrides;
  /** Labels bbm adds beyond the build facts (promotion). */
  extraLabels?: Record<string, string>;
}): DeployPlan {
  const { facts, options } = input;
  const blocking: Problem[] = [];
  const notes: string[] = [];
  for (const p of imageRefProblems(facts.image)) blocking.push({ path: '--image', message: p });

  if (!input.template || typeof input.template !== 'object' || Array.isArray(input.template)) {
    blocking.push({ path: '/', message: 'the app definition must be a JSON object' });
    return { appId: '', definition: { id: '' }, request: request('', options), findings: [], blocking, notes, options };
  }
  const filled = fillTemplate(input.template, facts);
  blocking.push(...filled.problems);
  if (filled.legacy.length) notes.push(`filled the legacy placeholder $project_tag at ${filled.legacy.join(', ')} (prefer \${image})`);
  const definition = filled.value as AppDefinition;

  // The image that will run must be the one built: no "$" left, and it is --image.
  const image = definition.container?.docker?.image;
  if (typeof image === 'string') {
    if (image.includes('$')) blocking.push({ path: '/container/docker/image', message: `${JSON.stringify(image)} still holds a "$" after filling placeholders` });
    else if (image !== facts.image)
      notes.push(`the definition runs image ${image}, not --image ${facts.image}`);
  } else notes.push('the definition has no container.docker.image; --image is only used for placeholders and labels');

  const o = input.overrides ?? {};
  if (o.appId !== undefined && o.appId !== definition.id) {
    if (definition.id !== undefined) notes.push(`app id ${JSON.stringify(definition.id)} of the template replaced by the environment's ${JSON.stringify(o.appId)}`);
    definition.id = o.appId;
  }
  for (const k of ['instances', 'cpus', 'mem', 'disk'] as const) {
    const v = o[k];
    if (v !== undefined && definition[k] !== v) {
      notes.push(`${k} ${v}${facts.env ? ` for ${facts.env}` : ''} (the template says ${definition[k] ?? 'nothing'})`);
      definition[k] = v;
    }
  }
  definition.labels = { ...(definition.labels ?? {}), ...(o.labels ?? {}), ...buildLabels(facts), ...(input.extraLabels ?? {}) };

  let appId = '';
  const findings = lintApp(definition);
  if (findings.every((f) => f.code !== 'id-invalid' && f.code !== 'id-missing')) {
    appId = normalizeAppId(definition.id);
    if (appId !== definition.id) notes.push(`app id ${JSON.stringify(definition.id)} sent as ${JSON.stringify(appId)}`);
    definition.id = appId;
  }

  if (options.keepInstances && input.current) {
    const running = input.current.instances ?? 0;
    if (definition.instances !== running) notes.push(`keeping the running instance count ${running} (the definition says ${definition.instances ?? 1})`);
    definition.instances = running;
  }

  for (const f of findings)
    if (f.severity === 'error' || (f.severity === 'warning' && options.strict)) blocking.push({ path: f.path, message: `${f.message} [${f.code}]` });

  return { appId, definition, request: request(appId, options), findings, blocking, notes, options };
}

function request(appId: string, options: DeployOptions): DeployPlan['request'] {
  return { method: 'PUT', path: `/v2/apps${appId}`, query: { force: options.force, partialUpdate: false } };
}

export function buildLabels(facts: BuildFacts): Record<string, string> {
  const labels: Record<string, string> = { [BUILD_LABELS.image]: facts.image };
  for (const k of ['project', 'buildNumber', 'branch', 'commit', 'describe', 'buildUrl', 'env'] as const) {
    const v = facts[k];
    if (v !== undefined && v !== '') labels[BUILD_LABELS[k]] = v;
  }
  return labels;
}
