/**
 * Environments: named Marathon targets, and per project which environment each deploy branch feeds
 * and which are reached only by promotion. Part of the one resolve pass (resolve.ts): reads the
 * written fields, fills defaults, and reports every mistake with its path — an unknown environment,
 * a promotion cycle, an environment nothing reaches. Pure.
 */
import { DEFAULTS } from './defaults.js';
import { BRANCH, Reader, describe, join } from './reader.js';
import { SIMPLE_NAME, isMarathonAppId, fixMarathonAppId } from './names.js';
import type { ResolvedEnvironment, ResolvedProject, ResolvedProjectEnvironment, Role } from './types.js';

type Obj = Record<string, unknown>;

/** The name of the environment `marathon` becomes when `environments` is absent. */
export const IMPLICIT_ENVIRONMENT = 'default';

const ENV_KEYS = ['url', 'tokenSecret', 'userSecret', 'passwordSecret', 'haproxyGroup', 'appIdPrefix'] as const;
const PROJECT_ENV_KEYS = ['branches', 'promoteFrom', 'promoteRoles', 'instances', 'cpus', 'mem', 'disk', 'labels'] as const;

function resolveTarget(r: Reader, name: string, raw: Obj | undefined, p: string, implicit: boolean): ResolvedEnvironment | undefined {
  if (!raw) return undefined;
  const url = r.url(r.required(raw, 'url', p), join(p, 'url'));
  const env: ResolvedEnvironment = {
    name,
    url: url ?? '',
    tokenSecret: r.secret(raw.tokenSecret, join(p, 'tokenSecret')) ?? null,
    userSecret: r.secret(raw.userSecret, join(p, 'userSecret')) ?? null,
    passwordSecret: r.secret(raw.passwordSecret, join(p, 'passwordSecret')) ?? null,
    haproxyGroup: r.string(raw.haproxyGroup, join(p, 'haproxyGroup'), { pattern: SIMPLE_NAME, patternText: 'a group name: letters, digits, `.`, `_`, `-`' }) ?? null,
    appIdPrefix: '',
    implicit,
  };
  if ((env.userSecret === null) !== (env.passwordSecret === null)) r.problem(p, 'set both userSecret and passwordSecret, or neither');
  if (env.tokenSecret !== null && env.userSecret !== null) r.problem(p, 'set tokenSecret or userSecret/passwordSecret, not both');
  const prefix = r.string(raw.appIdPrefix, join(p, 'appIdPrefix'));
  if (prefix !== undefined) {
    const abs = `/${prefix.replace(/^\/+|\/+$/g, '')}`;
    if (!isMarathonAppId(abs)) r.problem(join(p, 'appIdPrefix'), `${JSON.stringify(prefix)} is not a Marathon group path (lowercase letters, digits, - and . in /-separated segments); use ${JSON.stringify(fixMarathonAppId(abs))}`);
    else env.appIdPrefix = abs;
  }
  return env;
}

/** `environments`, or the implicit one made from `marathon` (which then must have a url). */
export function resolveEnvironments(r: Reader, root: Obj): ResolvedEnvironment[] {
  if (root.environments === undefined) {
    const m = r.object(r.required(root, 'marathon', ''), 'marathon', [...ENV_KEYS.filter((k) => k !== 'haproxyGroup' && k !== 'appIdPrefix'), 'deployStep']);
    const env = resolveTarget(r, IMPLICIT_ENVIRONMENT, m, 'marathon', true);
    return env ? [env] : [];
  }
  const o = r.object(root.environments, 'environments', Object.keys((root.environments as Obj | null) ?? {}));
  if (!o) return [];
  const m = root.marathon as Obj | undefined;
  if (m && typeof m === 'object') {
    for (const key of Object.keys(m))
      if (key !== 'deployStep') r.problem(`marathon.${key}`, `with \`environments\`, each environment names its own Marathon; move ${key} to environments.<name>.${key} (only marathon.deployStep stays)`);
  }
  const out: ResolvedEnvironment[] = [];
  if (Object.keys(o).length === 0) r.problem('environments', 'must name at least one environment, e.g. { staging: { url: "http://marathon-staging:8080" } }');
  for (const [name, raw] of Object.entries(o)) {
    const p = join('environments', name);
    if (!SIMPLE_NAME.test(name)) {
      r.problem(p, `environment name ${JSON.stringify(name)} must be letters, digits, \`.\`, \`_\`, \`-\` (it names builders' choices and BBM_<NAME>_MARATHON_* variables)`);
      continue;
    }
    const env = resolveTarget(r, name, r.object(raw, p, ENV_KEYS), p, false);
    if (env) out.push(env);
  }
  const seen = new Map<string, string>();
  for (const e of out) {
    const key = envVarStem(e.name);
    const other = seen.get(key);
    if (other !== undefined) r.problem(join('environments', e.name), `names the same variables (BBM_${key}_MARATHON_*) as environment ${JSON.stringify(other)}; rename one`);
    else seen.set(key, e.name);
  }
  return out;
}

/** `prod-eu` → `PROD_EU`: the stem of an environment's credential variables. */
export function envVarStem(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

type ProjectEnv = Omit<ResolvedProjectEnvironment, 'appId'>;

/** A project's `deploy.environments` (or the implicit mapping when it is absent). */
export function resolveProjectEnvironments(r: Reader, value: unknown, p: string, ctx: EnvContext, defaultBranches: string[]): ProjectEnv[] {
  const { environments } = ctx;
  if (value === undefined) {
    if (environments.length === 1) {
      const only = environments[0] as ResolvedEnvironment;
      return [{ name: only.name, branches: defaultBranches, promoteFrom: null, promoteRoles: [...DEFAULTS.allowRoles], values: emptyValues() }];
    }
    if (environments.length > 1)
      r.problem(p, `say which environment each deploy branch feeds: environments: { ${environments[0]?.name}: { branches: [${JSON.stringify(defaultBranches[0] ?? 'master')}] }, ${environments[1]?.name}: { promoteFrom: ${JSON.stringify(environments[0]?.name)} } } (defined: ${environments.map((e) => e.name).join(', ')})`);
    return [];
  }
  const o = r.object(value, p, Object.keys((value as Obj | null) ?? {}));
  if (!o) return [];
  if (Object.keys(o).length === 0) r.problem(p, 'must name at least one environment');
  const out: ProjectEnv[] = [];
  for (const [name, raw] of Object.entries(o)) {
    const ep = join(p, name);
    if (!environments.some((e) => e.name === name)) {
      r.problem(ep, `unknown environment ${JSON.stringify(name)}; define it in \`environments\` (defined: ${environments.map((e) => e.name).join(', ') || 'none'})`);
      continue;
    }
    const eo = r.object(raw, ep, PROJECT_ENV_KEYS);
    if (!eo) continue;
    const branches = r.array(eo.branches, join(ep, 'branches'), BRANCH(r)) ?? [];
    const promoteFrom = r.string(eo.promoteFrom, join(ep, 'promoteFrom')) ?? null;
    const promoteRoles = r.array(eo.promoteRoles, join(ep, 'promoteRoles'), (v, rp) => r.string(v, rp)) ?? [...DEFAULTS.allowRoles];
    for (const role of promoteRoles)
      if (role !== '*' && ctx.roles && !ctx.roles.includes(role))
        r.problem(join(ep, 'promoteRoles'), `role ${JSON.stringify(role)} is not defined in buildbot.www.roles (defined: ${ctx.roles.join(', ') || 'none'}); '*' allows everyone`);
    if (branches.length > 0 && promoteFrom !== null)
      r.problem(ep, `gets builds from branches ${branches.join(', ')} and promotions from ${JSON.stringify(promoteFrom)}; an environment is fed by deploy branches or reached only by promotion, not both`);
    const labels: [string, string][] = [];
    const lo = r.object(eo.labels, join(ep, 'labels'), Object.keys((eo.labels as Obj | null) ?? {}));
    for (const [k, v] of Object.entries(lo ?? {})) {
      if (typeof v !== 'string') r.problem(join(join(ep, 'labels'), k), `must be a string, got ${describe(v)}`);
      else if (k.startsWith('bbm.')) r.problem(join(join(ep, 'labels'), k), 'labels bbm.* are written by bbm (the build facts); choose another name');
      else labels.push([k, v]);
    }
    out.push({
      name,
      branches,
      promoteFrom,
      promoteRoles,
      values: {
        instances: r.int(eo.instances, join(ep, 'instances'), 0, 100000) ?? null,
        cpus: r.number(eo.cpus, join(ep, 'cpus'), 0.001, 10000) ?? null,
        mem: r.number(eo.mem, join(ep, 'mem'), 1, 10_000_000) ?? null,
        disk: r.number(eo.disk, join(ep, 'disk'), 0, 100_000_000) ?? null,
        labels,
      },
    });
  }
  // promotion sources must be environments of this project; every environment must be reached
  for (const e of out) {
    if (e.promoteFrom !== null && !out.some((x) => x.name === e.promoteFrom))
      r.problem(join(join(p, e.name), 'promoteFrom'), `${JSON.stringify(e.promoteFrom)} is not an environment of this project (its environments: ${out.map((x) => x.name).join(', ')})`);
  }
  for (const e of out) {
    const chain = [e.name];
    let at: ProjectEnv | undefined = e;
    while (at && at.branches.length === 0 && at.promoteFrom !== null) {
      const from: string = at.promoteFrom;
      if (chain.includes(from)) {
        if (chain[0] === from) r.problem(join(join(p, e.name), 'promoteFrom'), `promotion cycle ${[...chain, from].join(' ← ')}: no deploy branch feeds it; give one of them branches`);
        at = undefined;
        break;
      }
      chain.push(from);
      at = out.find((x) => x.name === from);
    }
    if (at && at.branches.length === 0 && at.promoteFrom === null)
      r.problem(join(p, e.name), chain.length === 1
        ? 'nothing reaches this environment: give it deploy branches (branches: [...]) or a source to promote from (promoteFrom: "<environment>")'
        : `nothing reaches this environment: it is promoted from ${chain.slice(1).join(' ← ')}, which no deploy branch feeds`);
  }
  // The promote builder is authorised as a whole (Buildbot matches force rules by builder).
  const promoted = out.filter((e) => e.promoteFrom !== null);
  const roleKey = (e: ProjectEnv) => [...new Set(e.promoteRoles)].sort().join(',');
  for (const e of promoted.slice(1))
    if (roleKey(e) !== roleKey(promoted[0] as ProjectEnv))
      r.problem(join(join(p, e.name), 'promoteRoles'), `every environment a project promotes into needs the same promoteRoles (one promote builder per project): ${(promoted[0] as ProjectEnv).name} has [${roleKey(promoted[0] as ProjectEnv)}], ${e.name} has [${roleKey(e)}]`);
  return out;
}

function emptyValues(): ProjectEnv['values'] {
  return { instances: null, cpus: null, mem: null, disk: null, labels: [] };
}

/** What a project's environments need from the rest of the config, and the checks across projects. */
export class EnvContext {
  constructor(
    readonly r: Reader,
    readonly environments: ResolvedEnvironment[],
    /** Roles defined in buildbot.www.roles, or null when none are declared (then any name is accepted). */
    readonly roles: Role[] | null,
  ) {}

  /** The app id of a project in an environment: the environment's prefix + the project's id. */
  appIdFor(envName: string, appId: string, path: string): string {
    const env = this.environments.find((e) => e.name === envName);
    const full = `${env?.appIdPrefix ?? ''}${appId}`;
    if (!isMarathonAppId(full)) this.r.problem(path, `the app id ${JSON.stringify(full)} is not valid; use ${JSON.stringify(fixMarathonAppId(full))}`);
    return full;
  }

  /** Two projects (or environments) that would deploy the same Marathon app; environments nothing uses. */
  crossCheck(projects: ResolvedProject[], at: (i: number) => string): void {
    const targets = new Map<string, string>();
    const used = new Set<string>();
    projects.forEach((project, i) => {
      for (const e of project.deploy?.environments ?? []) {
        used.add(e.name);
        const env = this.environments.find((x) => x.name === e.name);
        const key = `${(env?.url ?? '').replace(/\/+$/, '')} ${e.appId}`;
        const path = `${at(i)}.deploy${env?.implicit ? '.appId' : `.environments.${e.name}`}`;
        const other = targets.get(key);
        if (other !== undefined) this.r.problem(path, `deploys ${e.appId} on ${env?.url}, as ${other} does; give one a different appId (or the environment an appIdPrefix)`);
        else targets.set(key, path);
      }
    });
    if (projects.some((p) => p.deploy))
      for (const env of this.environments)
        if (!env.implicit && !used.has(env.name))
          this.r.problem(join('environments', env.name), `no project deploys to ${JSON.stringify(env.name)}; add it to a project's deploy.environments or remove it`);
  }
}

/**
 * The builders a project has besides its own (named after it): `<name>-promote` and `<name>-rollback`
 * when one of its environments is reached by promotion, else none. The generated file names them the
 * same way (templates/master.cfg.ejs) and the web console finds them by these names.
 */
export function promotionBuilders(project: { name: string; deploy: { environments: { promoteFrom: string | null }[] } | null }): { kind: 'promote' | 'rollback'; name: string }[] {
  if (!project.deploy?.environments.some((e) => e.promoteFrom !== null)) return [];
  return (['promote', 'rollback'] as const).map((kind) => ({ kind, name: `${project.name}-${kind}` }));
}
