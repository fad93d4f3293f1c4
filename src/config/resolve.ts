/**
 * Written config → resolved config. One pass reads every field of an untrusted value (a JSON file
 * has not been type-checked), fills every default (the only place defaults live) and collects every
 * problem with its path; a second pass checks what spans fields (duplicates, deploy branches that
 * are not built, projects no worker can build). Pure: no I/O.
 */
import { ValidationError } from '../errors.js';
import { DEFAULTS } from './defaults.js';
import { BRANCH, Reader, describe, join } from './reader.js';
import {
  BUILD_ARG_NAME,
  CONTROL,
  DOCKER_REPOSITORY,
  HOST_ADDRESS,
  REGISTRY_HOST,
  SIMPLE_NAME,
  branchProblem,
  fixDockerRepository,
  fixMarathonAppId,
  fixSimpleName,
  isMarathonAppId,
} from './names.js';
import { buildbotVersionProblem, parseBuildbotVersion, type BuildbotVersion } from './buildbot-version.js';
import { hasUrlSecret, redactUrl, urlCredentials } from '../url-credentials.js';
import { EnvContext, promotionBuilders, resolveEnvironments, resolveProjectEnvironments } from './environments.js';
import { ALL_PROJECT_TYPES, WORKER_KINDS, type WorkerKind, type ProjectType, type ResolvedConfig, type ResolvedProject, type ResolvedWorker } from './types.js';

type Obj = Record<string, unknown>;

/** A Buildbot builder tag as the generated file writes it (Buildbot takes any string; this keeps them readable in URLs). */
const BUILDER_TAG = /^[A-Za-z0-9][A-Za-z0-9._+:-]{0,49}$/;

export { DEFAULTS };

/** Projects whose `status` was written (the others take the default once every forge is known). */
const EXPLICIT_STATUS = new WeakSet<ResolvedProject>();


function projectType(r: Reader, v: unknown, p: string): ProjectType | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (ALL_PROJECT_TYPES as readonly string[]).includes(v)) return v as ProjectType;
  r.problem(p, `unknown project type ${describe(v)}; use one of ${ALL_PROJECT_TYPES.join(', ')}`);
  return undefined;
}

function workerKind(r: Reader, v: unknown, p: string): WorkerKind {
  if (v === undefined) return DEFAULTS.workerKind;
  if (typeof v === 'string' && (WORKER_KINDS as readonly string[]).includes(v)) return v as WorkerKind;
  r.problem(p, `unknown worker kind ${describe(v)}; use ${WORKER_KINDS.map((k) => `'${k}'`).join(' or ')}`);
  return DEFAULTS.workerKind;
}

function resolveWorker(r: Reader, v: unknown, p: string): ResolvedWorker | undefined {
  const o = r.object(v, p, ['name', 'maxBuilds', 'types', 'passwordSecret', 'kind']);
  if (!o) {
    if (v === undefined) r.problem(p, 'is required');
    return undefined;
  }
  const name = r.string(r.required(o, 'name', p), join(p, 'name'), { pattern: SIMPLE_NAME, patternText: 'letters, digits, `.`, `_`, `-`, starting with a letter or digit' });
  const maxBuilds = r.int(o.maxBuilds, join(p, 'maxBuilds'), 1, 1000) ?? DEFAULTS.maxBuilds;
  const types = r.array(o.types, join(p, 'types'), (t, tp) => projectType(r, t, tp)) ?? [...ALL_PROJECT_TYPES];
  if (Array.isArray(o.types) && o.types.length === 0) r.problem(join(p, 'types'), 'this worker can build no project type; list at least one or leave `types` out (all types)');
  const passwordSecret = r.secret(o.passwordSecret, join(p, 'passwordSecret')) ?? (name ? `worker-${name}` : undefined);
  const kind = workerKind(r, o.kind, join(p, 'kind'));
  if (!name || !passwordSecret) return undefined;
  return { name, maxBuilds, types: [...new Set(types)], passwordSecret, kind };
}

function resolveProject(r: Reader, v: unknown, p: string, envs: EnvContext): ResolvedProject | undefined {
  const o = r.object(v, p, ['name', 'repo', 'credentials', 'webhook', 'poll', 'buildEveryCommit', 'status', 'type', 'branches', 'deploy', 'dockerfile', 'repository', 'buildArgs', 'tags']);
  if (!o) {
    if (v === undefined || v === null) r.problem(p, 'must be a project object');
    return undefined;
  }
  const rawName = r.required(o, 'name', p);
  let name = r.string(rawName, join(p, 'name'));
  if (name !== undefined && !SIMPLE_NAME.test(name)) {
    r.problem(join(p, 'name'), `${JSON.stringify(name)} is not a valid project name (letters, digits, \`.\`, \`_\`, \`-\`, starting with a letter or digit); use ${JSON.stringify(fixSimpleName(name))}`);
    name = undefined;
  }
  const repo = r.string(r.required(o, 'repo', p), join(p, 'repo'));
  if (repo !== undefined && hasUrlSecret(repo)) {
    const https = /^https?:/i.test(repo);
    r.problem(
      join(p, 'repo'),
      `the repository URL of project ${JSON.stringify(name ?? '?')} carries credentials (${redactUrl(repo)}), which would be written into master.cfg, step logs and image labels; ` +
        `remove them from the URL and name secrets instead: ${https ? "credentials: { userSecret: 'git-user', tokenSecret: 'git-token' }" : "credentials: { sshKeySecret: 'git-ssh-key' }"}`,
    );
  }
  const credentials = repoCredentials(r, o.credentials, join(p, 'credentials'), repo);
  let webhook: ResolvedProject['webhook'] = null;
  if (o.webhook === 'github' || o.webhook === 'gitlab') webhook = o.webhook;
  else if (o.webhook !== undefined) r.problem(join(p, 'webhook'), `must be 'github' or 'gitlab', got ${describe(o.webhook)}`);
  const poll = r.bool(o.poll, join(p, 'poll')) ?? webhook === null;
  const buildEveryCommit = r.bool(o.buildEveryCommit, join(p, 'buildEveryCommit')) ?? false;
  let status: ResolvedProject['status'] | undefined;
  if (o.status === 'github' || o.status === 'gitlab') status = o.status;
  else if (o.status === false) status = null;
  else if (o.status !== undefined) r.problem(join(p, 'status'), `must be 'github', 'gitlab' or false, got ${describe(o.status)}`);
  const type = projectType(r, o.type, join(p, 'type')) ?? DEFAULTS.projectType;
  const branches = r.array(o.branches, join(p, 'branches'), BRANCH(r), { nonEmpty: true }) ?? [...DEFAULTS.branches];
  const dockerfile = r.string(o.dockerfile, join(p, 'dockerfile')) ?? DEFAULTS.dockerfile;

  let repository: string | undefined;
  if (o.repository !== undefined) {
    const s = r.string(o.repository, join(p, 'repository'));
    if (s !== undefined && !DOCKER_REPOSITORY.test(s)) {
      r.problem(join(p, 'repository'), `${JSON.stringify(s)} is not a valid Docker repository name (lowercase letters, digits, separators . _ -, components joined by /); use ${JSON.stringify(fixDockerRepository(s))}`);
    } else repository = s;
  } else if (name !== undefined) {
    repository = name.toLowerCase();
    if (!DOCKER_REPOSITORY.test(repository)) {
      r.problem(join(p, 'repository'), `the default registry repository ${JSON.stringify(repository)} (the lowercased project name) is not a valid Docker repository name; set repository: ${JSON.stringify(fixDockerRepository(repository))}`);
      repository = undefined;
    }
  }

  const buildArgs: [string, string][] = [];
  const ba = r.object(o.buildArgs, join(p, 'buildArgs'), Object.keys((o.buildArgs as Obj | undefined) ?? {}));
  if (ba) {
    for (const [k, val] of Object.entries(ba)) {
      if (!BUILD_ARG_NAME.test(k)) r.problem(join(join(p, 'buildArgs'), k), `build argument name ${JSON.stringify(k)} must be letters, digits and _ (not starting with a digit)`);
      else if (typeof val !== 'string') r.problem(join(join(p, 'buildArgs'), k), `must be a string, got ${describe(val)}`);
      else buildArgs.push([k, val]);
    }
  }

  const tags = r.array(o.tags, join(p, 'tags'), (v, tp) => {
    const t = r.string(v, tp);
    if (t === undefined || BUILDER_TAG.test(t)) return t;
    r.problem(tp, `tag ${JSON.stringify(t)} must be 1 to 50 letters, digits and . _ + : - (starting with a letter or digit)`);
    return undefined;
  }) ?? [];
  duplicates(r, tags, (i) => `${join(p, 'tags')}[${i}]`, 'tag');

  let deploy: ResolvedProject['deploy'] = null;
  if (o.deploy !== undefined && o.deploy !== false) {
    const dp = join(p, 'deploy');
    const d = r.object(o.deploy, dp, ['branches', 'app', 'appId', 'environments']);
    if (d) {
      const given = r.array(d.branches, join(dp, 'branches'), BRANCH(r), { nonEmpty: true });
      if (given && d.environments !== undefined)
        r.problem(join(dp, 'branches'), 'with deploy.environments, list the deploy branches under each environment (environments.<name>.branches)');
      const perEnv = resolveProjectEnvironments(r, d.environments, join(dp, 'environments'), envs, given ?? branches.slice(0, 1));
      const dBranches = d.environments !== undefined ? [...new Set(perEnv.flatMap((e) => e.branches))] : (given ?? branches.slice(0, 1));
      for (const b of dBranches) {
        if (!branches.includes(b)) r.problem(join(dp, 'branches'), `deploy branch ${JSON.stringify(b)} is not built; add it to ${join(p, 'branches')} (built: ${branches.join(', ')})`);
      }
      const app = r.string(d.app, join(dp, 'app')) ?? DEFAULTS.deployApp;
      let appId: string | undefined;
      if (d.appId !== undefined) {
        const s = r.string(d.appId, join(dp, 'appId'));
        if (s !== undefined && !isMarathonAppId(s)) r.problem(join(dp, 'appId'), `${JSON.stringify(s)} is not a valid Marathon app id (lowercase letters, digits, - and . in /-separated segments); use ${JSON.stringify(fixMarathonAppId(s))}`);
        else appId = s === undefined ? undefined : s.startsWith('/') ? s : `/${s}`;
      } else if (name !== undefined) {
        appId = `/${name.toLowerCase()}`;
        if (!isMarathonAppId(appId)) {
          r.problem(join(dp, 'appId'), `the default Marathon app id ${JSON.stringify(appId)} (the lowercased project name) is not valid; set appId: ${JSON.stringify(fixMarathonAppId(appId))}`);
          appId = undefined;
        }
      }
      if (appId !== undefined)
        deploy = {
          branches: dBranches,
          app,
          appId,
          environments: perEnv.map((e) => ({ ...e, appId: envs.appIdFor(e.name, appId as string, join(join(dp, 'environments'), e.name)) })),
        };
    }
  }

  // With a problem anywhere nothing is generated; a partly valid project still takes part in the
  // cross-field checks (duplicates), so one run reports everything.
  if (name === undefined) return undefined;
  const project: ResolvedProject = { name, repo: repo ?? '', credentials, webhook, poll, buildEveryCommit, status: status === undefined ? (webhook ?? null) : status, type, branches, deploy, dockerfile, repository: repository ?? '', buildArgs, tags, workers: [] };
  if (status !== undefined) EXPLICIT_STATUS.add(project);
  return project;
}

/** `credentials` of a project's repository: an SSH key, or a user and token for http(s), each by secret name. */
function repoCredentials(r: Reader, value: unknown, p: string, repo: string | undefined): ResolvedProject['credentials'] {
  const o = r.object(value, p, ['sshKeySecret', 'knownHostsSecret', 'userSecret', 'tokenSecret']);
  if (!o) return null;
  const sshKey = r.secret(o.sshKeySecret, join(p, 'sshKeySecret'));
  const knownHosts = r.secret(o.knownHostsSecret, join(p, 'knownHostsSecret')) ?? null;
  const user = r.secret(o.userSecret, join(p, 'userSecret'));
  const token = r.secret(o.tokenSecret, join(p, 'tokenSecret'));
  const https = repo !== undefined && /^https?:\/\//i.test(repo);
  if (sshKey !== undefined && (user !== undefined || token !== undefined)) {
    r.problem(p, 'give sshKeySecret (ssh URLs) or userSecret + tokenSecret (https URLs), not both');
    return null;
  }
  if (sshKey !== undefined) {
    if (https) r.problem(join(p, 'sshKeySecret'), 'an SSH key needs an ssh repository URL (git@host:owner/repo.git or ssh://…); for https use userSecret + tokenSecret');
    return { sshKey, knownHosts };
  }
  if (knownHosts !== null) r.problem(join(p, 'knownHostsSecret'), 'only with sshKeySecret');
  if (user === undefined || token === undefined) {
    if (user !== undefined || token !== undefined || Object.keys(o).length === 0)
      r.problem(p, 'set userSecret and tokenSecret together (https), or sshKeySecret (ssh)');
    return null;
  }
  if (!https) r.problem(join(p, 'userSecret'), 'a user and token need an http(s) repository URL; for ssh use sshKeySecret');
  return { user, token };
}

/** Reads, defaults and validates a written config; throws a ValidationError listing every problem. */
export function resolveConfig(input: unknown, subject = 'ci.config.ts'): ResolvedConfig {
  const r = new Reader();
  const root = r.object(input, '', ['registry', 'marathon', 'environments', 'buildbot', 'changeSources', 'status', 'projects']);
  if (!root) {
    r.problem('', `the config must be an object (export default defineConfig({…})), got ${describe(input)}`);
    throw new ValidationError(subject, r.problems);
  }

  // registry
  const regRaw = r.required(root, 'registry', '');
  let registry: ResolvedConfig['registry'] | undefined;
  const registryHost = (v: unknown, p: string) =>
    r.string(v, p, { pattern: REGISTRY_HOST, patternText: 'a registry is host[:port], e.g. registry.example.com or 127.0.0.1:5000 (no scheme, no path)' });
  if (typeof regRaw === 'string') {
    const host = registryHost(regRaw, 'registry');
    if (host) registry = { host, userSecret: null, passwordSecret: null };
  } else if (regRaw !== undefined) {
    const o = r.object(regRaw, 'registry', ['host', 'userSecret', 'passwordSecret']);
    if (o) {
      const host = registryHost(r.required(o, 'host', 'registry'), 'registry.host');
      const userSecret = r.secret(o.userSecret, 'registry.userSecret') ?? null;
      const passwordSecret = r.secret(o.passwordSecret, 'registry.passwordSecret') ?? null;
      if ((userSecret === null) !== (passwordSecret === null)) r.problem('registry', 'set both userSecret and passwordSecret, or neither');
      if (host) registry = { host, userSecret, passwordSecret };
    }
  }

  // marathon targets: `environments`, or `marathon` as the one implicit environment
  const environments = resolveEnvironments(r, root);
  const m = r.object(root.marathon, 'marathon', ['url', 'tokenSecret', 'userSecret', 'passwordSecret', 'deployStep']);
  const marathon = { deployStep: r.bool(m?.deployStep, 'marathon.deployStep') ?? true };

  // buildbot
  const b = r.object(r.required(root, 'buildbot', ''), 'buildbot', ['url', 'title', 'workers', 'www', 'workerPort', 'workerAddress', 'msgpackPort', 'secretsDir', 'db', 'bbm', 'forceSchedulers', 'version']);
  const buildbotUrl = b ? r.url(r.required(b, 'url', 'buildbot'), 'buildbot.url') : undefined;
  if (buildbotUrl !== undefined && !buildbotUrl.endsWith('/')) r.problem('buildbot.url', `Buildbot needs a trailing slash: use ${JSON.stringify(`${buildbotUrl}/`)}`);
  const workers = (b ? r.array(r.required(b, 'workers', 'buildbot'), 'buildbot.workers', (v, p) => resolveWorker(r, v, p), { nonEmpty: true }) : undefined) ?? [];
  const w = r.object(b?.www, 'buildbot.www', ['address', 'port', 'auth', 'roles', 'allow']);
  const auth = r.object(w?.auth, 'buildbot.www.auth', ['htpasswd']);
  const htpasswd = auth ? (r.string(r.required(auth, 'htpasswd', 'buildbot.www.auth'), 'buildbot.www.auth.htpasswd') ?? null) : null;
  const rolesObj = r.object(w?.roles, 'buildbot.www.roles', Object.keys((w?.roles as Obj | undefined) ?? {}));
  const roles: [string, string[]][] = [];
  for (const [role, users] of Object.entries(rolesObj ?? {})) {
    const rp = `buildbot.www.roles.${role}`;
    if (!SIMPLE_NAME.test(role)) r.problem(rp, `role name ${JSON.stringify(role)} must be letters, digits, \`.\`, \`_\`, \`-\``);
    const list = r.array(users, rp, (u, up) => r.string(u, up));
    if (list && SIMPLE_NAME.test(role)) roles.push([role, list]);
  }
  const allowObj = r.object(w?.allow, 'buildbot.www.allow', ['force', 'stop', 'rebuild', 'control']);
  const allowList = (key: 'force' | 'stop' | 'rebuild' | 'control') => {
    const list = r.array(allowObj?.[key], `buildbot.www.allow.${key}`, (v, p) => r.string(v, p)) ?? [...DEFAULTS.allowRoles];
    for (const role of list) {
      if (role !== '*' && rolesObj && !roles.some(([n]) => n === role))
        r.problem(`buildbot.www.allow.${key}`, `role ${JSON.stringify(role)} is not defined in buildbot.www.roles (defined: ${roles.map(([n]) => n).join(', ') || 'none'}); '*' allows everyone`);
    }
    return list;
  };
  const www = {
    address: r.string(w?.address, 'buildbot.www.address', { pattern: HOST_ADDRESS, patternText: 'an IPv4 address or host name, e.g. 127.0.0.1 or 0.0.0.0' }) ?? DEFAULTS.wwwAddress,
    port: r.int(w?.port, 'buildbot.www.port', 1, 65535) ?? DEFAULTS.wwwPort,
    htpasswd,
    roles,
    allow: { force: allowList('force'), stop: allowList('stop'), rebuild: allowList('rebuild'), control: allowList('control') },
  };
  const buildbot: ResolvedConfig['buildbot'] = {
    url: buildbotUrl ?? '',
    title: r.string(b?.title, 'buildbot.title', { allowControl: true }) ?? DEFAULTS.title,
    workers,
    www,
    workerAddress: r.string(b?.workerAddress, 'buildbot.workerAddress', { pattern: HOST_ADDRESS, patternText: 'an IPv4 address or host name' }) ?? DEFAULTS.workerAddress,
    workerPort: r.int(b?.workerPort, 'buildbot.workerPort', 1, 65535) ?? DEFAULTS.workerPort,
    msgpackPort: r.int(b?.msgpackPort, 'buildbot.msgpackPort', 1, 65535) ?? DEFAULTS.msgpackPort,
    secretsDir: r.string(b?.secretsDir, 'buildbot.secretsDir') ?? DEFAULTS.secretsDir,
    db: resolveDb(r, b?.db),
    bbm: r.array(b?.bbm, 'buildbot.bbm', (v, p) => r.string(v, p), { nonEmpty: true }) ?? [...DEFAULTS.bbm],
    forceSchedulers: forceSchedulers(r, b?.forceSchedulers),
    version: buildbotVersion(r, b?.version),
  };
  if (www.port === buildbot.workerPort && www.address === buildbot.workerAddress) r.problem('buildbot.workerPort', `the web UI already uses port ${www.port}`);
  if (workers.some((w) => w.kind === 'bbm')) {
    // The msgpack port listens on every interface, so it clashes with whatever else the master binds.
    if (buildbot.msgpackPort === buildbot.workerPort) r.problem('buildbot.msgpackPort', `the PB port is already ${buildbot.workerPort}; pick another port for bbm workers`);
    else if (buildbot.msgpackPort === www.port) r.problem('buildbot.msgpackPort', `the web UI already uses port ${www.port}; pick another port for bbm workers`);
  }

  // change sources
  const cs = r.object(root.changeSources, 'changeSources', ['pollInterval', 'github', 'gitlab', 'pollerHook']);
  const hook = (key: 'github' | 'gitlab') => {
    const h = r.object(cs?.[key], `changeSources.${key}`, ['secret']);
    return h ? (r.secret(r.required(h, 'secret', `changeSources.${key}`), `changeSources.${key}.secret`) ?? null) : null;
  };
  const changeSources = {
    pollInterval: r.int(cs?.pollInterval, 'changeSources.pollInterval', 0, 86400) ?? DEFAULTS.pollInterval,
    github: hook('github'),
    gitlab: hook('gitlab'),
    pollerHook: r.bool(cs?.pollerHook, 'changeSources.pollerHook') ?? false,
  };

  // commit statuses
  const st = r.object(root.status, 'status', ['github', 'gitlab']);
  const forge = (key: 'github' | 'gitlab') => {
    const f = r.object(st?.[key], `status.${key}`, ['tokenSecret', 'url']);
    if (!f) return null;
    const tokenSecret = r.secret(r.required(f, 'tokenSecret', `status.${key}`), `status.${key}.tokenSecret`);
    const url = r.url(f.url, `status.${key}.url`) ?? null;
    return tokenSecret ? { tokenSecret, url } : null;
  };
  const status = { github: forge('github'), gitlab: forge('gitlab') };

  // projects
  const envContext = new EnvContext(r, environments, w?.roles === undefined ? null : roles.map(([n]) => n));
  const indexed = r.array(r.required(root, 'projects', ''), 'projects', (v, p) => {
    const project = resolveProject(r, v, p, envContext);
    return project && { project, at: p };
  }, { nonEmpty: true }) ?? [];
  const projects = indexed.map((x) => x.project);
  const at = (i: number) => indexed[i]?.at ?? 'projects';

  // cross-field checks
  duplicates(r, projects.map((p) => p.name.toLowerCase()), (i) => `${at(i)}.name`, 'project name (builder names must differ, ignoring case)');
  duplicates(r, projects.map((p) => p.repository), (i) => `${at(i)}.repository`, 'registry repository (two projects would push the same image)');
  duplicates(r, workers.map((w) => w.name), (i) => `buildbot.workers[${i}].name`, 'worker name');
  builderNameClashes(r, projects, at);
  envContext.crossCheck(projects, at);
  const forges = (['github', 'gitlab'] as const).filter((k) => status[k]);
  projects.forEach((project, i) => {
    if (!EXPLICIT_STATUS.has(project)) project.status = project.status && status[project.status] ? project.status : forges.length === 1 ? forges[0]! : null;
    else if (project.status && !status[project.status])
      r.problem(`${at(i)}.status`, `commit statuses to ${project.status} are not configured; set status.${project.status}: { tokenSecret: '${project.status}-token' }`);
    if (project.webhook && !changeSources[project.webhook])
      r.problem(`${at(i)}.webhook`, `the ${project.webhook} webhook is not enabled; set changeSources.${project.webhook}: { secret: '${project.webhook}-webhook' }`);
    project.workers = workers.filter((w) => w.types.includes(project.type)).map((w) => w.name);
    if (project.workers.length === 0 && workers.length > 0)
      r.problem(`${at(i)}.type`, `no worker can build type ${JSON.stringify(project.type)}; add it to a worker's types (or leave types out: all)`);
  });

  if (r.problems.length > 0 || !registry) {
    if (r.problems.length === 0) r.problem('registry', 'is required');
    throw new ValidationError(`${subject} is not valid`, r.problems, { hint: `fix the ${r.problems.length === 1 ? 'problem' : 'problems'} above in ${subject}, then run \`bbm generate\` again` });
  }
  return { registry, marathon, environments, buildbot, changeSources, status, projects };
}

function forceSchedulers(r: Reader, value: unknown): 'shared' | 'perProject' {
  if (value === undefined) return DEFAULTS.forceSchedulers;
  if (value === 'shared' || value === 'perProject') return value;
  r.problem('buildbot.forceSchedulers', `must be 'shared' or 'perProject', got ${describe(value)}`);
  return DEFAULTS.forceSchedulers;
}

function buildbotVersion(r: Reader, value: unknown): BuildbotVersion {
  const fallback = parseBuildbotVersion(DEFAULTS.buildbotVersion)!;
  const text = r.string(value, 'buildbot.version');
  if (text === undefined) return fallback;
  const problem = buildbotVersionProblem(text);
  if (typeof problem === 'string') {
    r.problem('buildbot.version', problem);
    return fallback;
  }
  return problem;
}

function resolveDb(r: Reader, value: unknown): ResolvedConfig['buildbot']['db'] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = r.object(value, 'buildbot.db', ['urlSecret']);
    const urlSecret = r.secret(r.required(o, 'urlSecret', 'buildbot.db'), 'buildbot.db.urlSecret');
    return { urlSecret: urlSecret ?? '' };
  }
  const url = r.string(value, 'buildbot.db') ?? DEFAULTS.db;
  const found = urlCredentials(url);
  if (found === 'password' || found === 'query') {
    // The URL itself is never echoed: it holds the password.
    r.problem('buildbot.db', 'the database URL holds a password, which would be written into master.cfg; put the URL in a secret file and write db: { urlSecret: "db-url" }');
  }
  return { url };
}

/** A project named like another project's promote or rollback builder (`<name>-promote`, `<name>-rollback`). */
function builderNameClashes(r: Reader, projects: ResolvedProject[], at: (i: number) => string): void {
  const derived = new Map(projects.flatMap((p) => promotionBuilders(p).map((b) => [b.name.toLowerCase(), `the ${b.kind} builder of project ${JSON.stringify(p.name)}`] as const)));
  projects.forEach((p, i) => {
    const clash = derived.get(p.name.toLowerCase());
    if (clash) r.problem(`${at(i)}.name`, `project name ${JSON.stringify(p.name)} is also the name of ${clash} (builder names must differ, ignoring case); rename this project`);
  });
}

function duplicates(r: Reader, values: string[], path: (i: number) => string, what: string): void {
  const first = new Map<string, number>();
  values.forEach((v, i) => {
    if (v === '') return;
    const f = first.get(v);
    if (f === undefined) first.set(v, i);
    else r.problem(path(i), `duplicate ${what} ${JSON.stringify(v)}, also at ${path(f)}`);
  });
}
