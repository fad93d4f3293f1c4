/**
 * Resolved config → the typed view-model the master.cfg template prints. Pure. Every value that
 * becomes Python source passes through `py()` here; the template only loops and prints `Py`.
 */
import type { ResolvedConfig, ResolvedProject, ResolvedWorker, RecipeType } from '../config/types.js';
import { PROJECT_TYPES } from '../config/types.js';
import { compatibleRange, formatVersion, hasFeature, type BuildbotVersion } from '../config/buildbot-version.js';
import { promotionBuilders } from '../config/environments.js';
import { deployTargets } from '../config/targets.js';
import { py, pyCall, PyExpr, type Py, type PyValue } from './python.js';

export interface Assignment {
  name: Py;
  value: Py;
}

export interface MasterView {
  /** The config file the output came from, for the header comment (already made comment-safe). */
  source: string;
  constants: { name: string; value: Py }[];
  workers: Py[];
  projects: Py[];
  recipeTypes: { type: RecipeType; fn: string }[];
  settings: Assignment[];
  www: Assignment[];
  authzRules: Py[];
  roleMatchers: Py[];
  hooks: Assignment[];
}

/**
 * PB for `buildbot-worker` always (workers switch over one at a time); msgpack when a worker is a
 * `bbm` worker. Buildbot (3.7 to 4.3) takes the msgpack port as a bare number
 * (master/buildbot/worker/protocols/manager/msgpack.py) and listens on every interface.
 */
function protocols(bb: ResolvedConfig['buildbot']): PyValue {
  const pb = { port: `tcp:${bb.workerPort}:interface=${bb.workerAddress}` };
  return bb.workers.some((w) => w.kind === 'bbm') ? { pb, msgpack_experimental_v7: { port: bb.msgpackPort } } : { pb };
}

const secret = (name: string) => pyCall('util.Secret', [name]);

function workerEntry(w: ResolvedWorker): Py {
  return py({ name: w.name, password_secret: w.passwordSecret, max_builds: w.maxBuilds });
}

function projectEntry(p: ResolvedProject): Py {
  return py({
    name: p.name,
    repo: p.repo,
    credentials: p.credentials && ('sshKey' in p.credentials ? { ssh_key: p.credentials.sshKey, known_hosts: p.credentials.knownHosts } : { user: p.credentials.user, token: p.credentials.token }),
    poll: p.poll,
    build_every_commit: p.buildEveryCommit,
    status: p.status,
    type: p.type,
    branches: p.branches,
    deploy: p.deploy && { branches: p.deploy.branches, app: p.deploy.app, app_id: p.deploy.appId },
    dockerfile: p.dockerfile,
    repository: p.repository,
    build_args: p.buildArgs.map(([k, v]) => [k, v]),
    tags: p.tags,
    workers: p.workers,
  });
}

/**
 * Promote and rollback builders are forced only by the roles allowed to promote into the project's
 * environments; these rules come before the general force rules (Buildbot uses the first that matches).
 */
function promoteRules(config: ResolvedConfig): Py[] {
  const rules: Py[] = [];
  for (const p of config.projects) {
    const named = [...new Set((p.deploy?.environments ?? []).filter((e) => e.promoteFrom !== null).flatMap((e) => e.promoteRoles))];
    const roles = named.includes('*') ? [ANYONE_ROLE] : named;
    for (const { name: builder } of promotionBuilders(p))
      roles.forEach((role, i) => rules.push(py(pyCall('util.ForceBuildEndpointMatcher', [], { builder, role, defaultDeny: i === roles.length - 1 }))));
  }
  return rules;
}

function promoteAnyone(config: ResolvedConfig): boolean {
  return config.projects.some((p) => (p.deploy?.environments ?? []).some((e) => e.promoteFrom !== null && e.promoteRoles.includes('*')));
}

const ACTIONS = [
  ['force', 'util.ForceBuildEndpointMatcher'],
  ['stop', 'util.StopBuildEndpointMatcher'],
  ['rebuild', 'util.RebuildBuildEndpointMatcher'],
  // Last: every other control action (cancel, worker pause/kill, scheduler enable, priorities, and
  // whatever a newer Buildbot adds). Buildbot allows what no rule matches, so this closes the rest.
  ['control', 'util.AnyControlEndpointMatcher'],
] as const;

/** The role `_Anyone` gives every visitor, anonymous too; fnmatch-safe (configured roles are plain names). */
export const ANYONE_ROLE = '*anyone*';

/**
 * Authz rules: for each action, one matcher per allowed role (`'*'` → the everyone role); the last
 * one denies everyone else, and the final AnyControlEndpointMatcher makes every action that no
 * earlier rule named admin-only (deny by default).
 */
function authzRules(allow: ResolvedConfig['buildbot']['www']['allow']): Py[] {
  const rules: Py[] = [];
  for (const [action, matcher] of ACTIONS) {
    const roles = allow[action].includes('*') ? [ANYONE_ROLE] : allow[action].length > 0 ? allow[action] : ['-nobody-'];
    roles.forEach((role, i) => rules.push(py(pyCall(matcher, [], { role, defaultDeny: i === roles.length - 1 }))));
  }
  return rules;
}

/** The implicit environment of a config with one `marathon` (what the console calls it). */
export { IMPLICIT_ENVIRONMENT as DEFAULT_ENVIRONMENT } from '../config/environments.js';

/**
 * Settings of the web console's www plugin (`bbm`): where each environment's Marathon is and the
 * names of its credentials' secrets, which the master reads; the browser never sees them. Per
 * environment that shares its Marathon with another, the app ids the config deploys there (the
 * endpoint then lists an app without the label `bbm.environment` only when its id is one of them;
 * alone on its Marathon, every app of buildbot-marathon there is listed), and every promotion route (the console offers
 * the builds that run healthy in the source on the promote form).
 */
function consoleSettings(config: ResolvedConfig) {
  const targets = deployTargets(config);
  const marathon = (url: string) => url.replace(/\/+$/, '');
  const shared = (url: string) => config.environments.filter((e) => marathon(e.url) === marathon(url)).length > 1;
  const appIds = (env: string) => Object.values(targets.projects).flatMap((p) => (p.environments[env] ? [p.environments[env].appId] : []));
  const promotions = Object.entries(targets.projects).flatMap(([project, p]) =>
    Object.entries(p.environments).flatMap(([to, e]) =>
      e.promoteFrom !== null ? [{ project, to, from: e.promoteFrom, source_app_id: p.environments[e.promoteFrom]?.appId ?? null, target_app_id: e.appId }] : [],
    ),
  );
  return {
    environments: config.environments.map((e) => ({
      name: e.name,
      url: e.url,
      token_secret: e.tokenSecret,
      user_secret: e.userSecret,
      password_secret: e.passwordSecret,
      app_ids: shared(e.url) ? appIds(e.name) : null,
    })),
    registry: config.registry.host,
    promotions,
  };
}

function statusForges(status: ResolvedConfig['status']): Record<string, PyValue> {
  const out: Record<string, PyValue> = {};
  for (const forge of ['github', 'gitlab'] as const) {
    const f = status[forge];
    if (f) out[forge] = { token_secret: f.tokenSecret, url: f.url };
  }
  return out;
}

/** Makes a file name safe for a comment line (ASCII, no line breaks). */
function commentSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

const pyVersion = (v: BuildbotVersion | null) => new PyExpr(v ? `(${v.major}, ${v.minor})` : 'None');

/**
 * What depends on the targeted Buildbot version, as constants the file's code reads (rules in
 * src/config/buildbot-version.ts): the template stays the same for every version.
 */
function versionConstants(v: BuildbotVersion): { name: string; value: Py }[] {
  const range = compatibleRange(v);
  return [
    { name: 'BUILDBOT_TARGET', value: py(formatVersion(v)) },
    { name: 'BUILDBOT_RANGE', value: py([pyVersion(range.from), pyVersion(range.below)]) },
    { name: 'GIT_FETCH_TAGS', value: py(hasFeature(v, 'gitFetchTags')) },
    { name: 'HIDE_FORCE_PRIORITY', value: py(hasFeature(v, 'forcePriority')) },
    { name: 'BUILDBOT_PROJECTS', value: py(hasFeature(v, 'projects')) },
  ];
}

export function buildMasterView(config: ResolvedConfig, source = 'ci.config.ts'): MasterView {
  const { buildbot: bb, registry, marathon, changeSources } = config;
  const registryEnv: Record<string, PyExpr> = {};
  if (registry.userSecret && registry.passwordSecret) {
    registryEnv.BBM_REGISTRY_USER = secret(registry.userSecret);
    registryEnv.BBM_REGISTRY_PASSWORD = secret(registry.passwordSecret);
  }
  const usedTypes = new Set(config.projects.map((p) => p.type));
  // `auto` projects may turn out to be any type, so every recipe is needed then.
  const recipeTypes = PROJECT_TYPES.filter((t) => usedTypes.has('auto') || usedTypes.has(t)).map((type) => ({ type, fn: `_recipe_${type}` }));

  const hooks: Assignment[] = [];
  if (changeSources.pollerHook) hooks.push({ name: py('poller'), value: py(true) });
  if (changeSources.github) hooks.push({ name: py('github'), value: py({ secret: secret(changeSources.github), strict: true }) });
  if (changeSources.gitlab) hooks.push({ name: py('gitlab'), value: py({ secret: secret(changeSources.gitlab) }) });

  const www: Assignment[] = [
    { name: py('port'), value: py(`tcp:${bb.www.port}:interface=${bb.www.address}`) },
    { name: py('plugins'), value: py(new PyExpr('_installed_views()')) },
  ];
  if (bb.www.htpasswd) www.push({ name: py('auth'), value: py(pyCall('util.HTPasswdAuth', [bb.www.htpasswd])) });

  return {
    source: commentSafe(source),
    constants: [
      { name: 'BBM', value: py(bb.bbm) },
      { name: 'SECRETS_DIR', value: py(bb.secretsDir) },
      { name: 'REGISTRY', value: py(registry.host) },
      { name: 'BUILDBOT_URL', value: py(bb.url) },
      { name: 'DEPLOY_STEP', value: py(marathon.deployStep) },
      { name: 'FORCE_PER_PROJECT', value: py(bb.forceSchedulers === 'perProject') },
      { name: 'POLL_INTERVAL', value: py(changeSources.pollInterval) },
      { name: 'REGISTRY_ENV', value: py(registryEnv) },
      // Deploy targets (docs/configuration.md, "Environments and promotion"): every Marathon environment
      // and each project's app id there; read by the deploy, promote and rollback steps and the web console.
      { name: 'DEPLOY_TARGETS', value: py(deployTargets(config) as unknown as Parameters<typeof py>[0]) },
      { name: 'STATUS', value: py(statusForges(config.status)) },
      ...versionConstants(bb.version),
      { name: 'CONSOLE', value: py(consoleSettings(config)) },
    ],
    workers: bb.workers.map(workerEntry),
    projects: config.projects.map(projectEntry),
    recipeTypes,
    settings: [
      { name: py('title'), value: py(bb.title) },
      { name: py('buildbotURL'), value: py(bb.url) },
      { name: py('buildbotNetUsageData'), value: py(null) },
      { name: py('collapseRequests'), value: py(false) },
      { name: py('db'), value: py({ db_url: 'url' in bb.db ? bb.db.url : pyCall('_db_url', [bb.db.urlSecret]) }) },
      { name: py('protocols'), value: py(protocols(bb)) },
      { name: py('secretsProviders'), value: py([new PyExpr('secrets.SecretInAFile(dirname=SECRETS_DIR)')]) },
    ],
    www,
    authzRules: [...promoteRules(config), ...authzRules(bb.www.allow)],
    roleMatchers: [
      ...bb.www.roles.map(([role, users]) => py(pyCall('util.RolesFromUsername', [], { roles: [role], usernames: users }))),
      ...(Object.values(bb.www.allow).some((roles) => roles.includes('*')) || promoteAnyone(config) ? [py(pyCall('_Anyone', []))] : []),
    ],
    hooks,
  };
}
