/**
 * The deploy targets document: every environment (Marathon URL, credentials by secret name, HAProxy
 * group, app-id prefix) and, per project, its app id and role in each environment. One shape for
 * three readers: the generated master.cfg (`DEPLOY_TARGETS`, read by the promote and rollback
 * builders and the web console), the file those builders hand to `bbm promote --targets`, and
 * `bbm promote`/`bbm status --project` run by a person from `ci.config.ts`. Pure.
 */
import { UsageError } from '../errors.js';
import { normalizeAppId } from '../marathon/app-id.js';
import { hasUrlSecret, redactUrl } from '../url-credentials.js';
import { envVarStem } from './environments.js';
import type { ResolvedConfig, ResolvedEnvironment, ResolvedProjectEnvironment } from './types.js';

export interface TargetEnvironment {
  url: string;
  tokenSecret: string | null;
  userSecret: string | null;
  passwordSecret: string | null;
  haproxyGroup: string | null;
  appIdPrefix: string;
  /** Stem of the variables `bbm` reads this environment's credentials from: BBM_<stem>_MARATHON_USER… */
  credentialsEnv: string;
}

export interface TargetProjectEnvironment {
  appId: string;
  branches: string[];
  promoteFrom: string | null;
  promoteRoles: string[];
  instances: number | null;
  cpus: number | null;
  mem: number | null;
  disk: number | null;
  labels: Record<string, string>;
}

export interface TargetProject {
  /** `registry/repository` of the project's images. */
  image: string;
  /** App definition template path in the project repository. */
  app: string;
  /** Environment name → the project there, in the config's order. */
  environments: Record<string, TargetProjectEnvironment>;
}

export interface DeployTargets {
  environments: Record<string, TargetEnvironment>;
  projects: Record<string, TargetProject>;
}

/** `default` (the implicit one) reads the plain BBM_MARATHON_* variables. */
export function credentialsStem(env: Pick<ResolvedEnvironment, 'name' | 'implicit'>): string {
  return env.implicit ? 'MARATHON' : `${envVarStem(env.name)}_MARATHON`;
}

function projectEnv(e: ResolvedProjectEnvironment, env: ResolvedEnvironment | undefined): TargetProjectEnvironment {
  const labels = Object.fromEntries(e.values.labels);
  if (env?.haproxyGroup) labels.HAPROXY_GROUP = env.haproxyGroup;
  return {
    appId: e.appId,
    branches: e.branches,
    promoteFrom: e.promoteFrom,
    promoteRoles: e.promoteRoles,
    instances: e.values.instances,
    cpus: e.values.cpus,
    mem: e.values.mem,
    disk: e.values.disk,
    labels,
  };
}

export function deployTargets(config: ResolvedConfig): DeployTargets {
  const environments: Record<string, TargetEnvironment> = {};
  for (const e of config.environments)
    environments[e.name] = {
      url: e.url,
      tokenSecret: e.tokenSecret,
      userSecret: e.userSecret,
      passwordSecret: e.passwordSecret,
      haproxyGroup: e.haproxyGroup,
      appIdPrefix: e.appIdPrefix,
      credentialsEnv: credentialsStem(e),
    };
  const projects: Record<string, TargetProject> = {};
  for (const p of config.projects) {
    if (!p.deploy) continue;
    const envs: Record<string, TargetProjectEnvironment> = {};
    for (const e of p.deploy.environments) envs[e.name] = projectEnv(e, config.environments.find((x) => x.name === e.name));
    projects[p.name] = { image: `${config.registry.host}/${p.repository}`, app: p.deploy.app, environments: envs };
  }
  return { environments, projects };
}

/** The targets of one project, as `bbm promote` / `bbm status --project` need them. */
export interface ProjectTargets {
  project: string;
  image: string;
  app: string;
  environments: { name: string; target: TargetEnvironment; project: TargetProjectEnvironment }[];
}

export function projectTargets(targets: DeployTargets, project: string, source: string): ProjectTargets {
  const p = targets.projects[project];
  if (!p) {
    const known = Object.keys(targets.projects);
    throw new UsageError(`--project ${project}: ${source} has no project that deploys under that name`, {
      hint: known.length ? `projects that deploy: ${known.join(', ')}` : 'no project in it has `deploy`',
    });
  }
  const environments = Object.entries(p.environments).map(([name, project]) => {
    const target = targets.environments[name];
    if (!target) throw new UsageError(`${source}: project ${project} uses environment ${name}, which it does not define`);
    return { name, target, project };
  });
  return { project, image: p.image, app: p.app, environments };
}

/** Reads a targets document written by the generated master.cfg (untrusted JSON: shape checked). */
export function parseDeployTargets(text: string, source: string): DeployTargets {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  const v = value as Partial<DeployTargets> | null;
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (!isObj(v) || !isObj(v.environments) || !isObj(v.projects))
    throw new UsageError(`${source} is not a deploy targets document ({"environments": {…}, "projects": {…}})`, { hint: 'it is written by the generated promote builder; or pass --config ci.config.ts' });
  for (const [name, e] of Object.entries(v.environments)) {
    if (!isObj(e) || typeof e.url !== 'string' || typeof e.credentialsEnv !== 'string') throw new UsageError(`${source}: environments.${name} needs url and credentialsEnv`);
    if (hasUrlSecret(e.url))
      throw new UsageError(`${source}: environments.${name}.url ${redactUrl(e.url)} carries credentials`, { hint: `credentials come from BBM_${e.credentialsEnv}_USER/PASSWORD or _TOKEN, never from the URL` });
    if (!/^https?:\/\/[^\s/?#]+/.test(e.url)) throw new UsageError(`${source}: environments.${name}.url ${JSON.stringify(redactUrl(e.url))} is not an http(s) URL`);
  }
  for (const [name, p] of Object.entries(v.projects)) {
    if (!isObj(p) || typeof p.image !== 'string' || typeof p.app !== 'string' || !isObj(p.environments)) throw new UsageError(`${source}: projects.${name} needs image, app and environments`);
    for (const [en, pe] of Object.entries(p.environments)) {
      if (!isObj(pe) || typeof pe.appId !== 'string') throw new UsageError(`${source}: projects.${name}.environments.${en} needs appId`);
      normalizeAppId(pe.appId, `${source}: projects.${name}.environments.${en}.appId`);
    }
  }
  return v as DeployTargets;
}
