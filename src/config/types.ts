/**
 * The two shapes of a buildbot-marathon config: what a user writes in `ci.config.ts` (every
 * field that has a sensible default is optional) and what the generator works with after
 * `normalizeConfig` filled every default in one place.
 */

export const PROJECT_TYPES = ['python', 'maven', 'gradle', 'node', 'go', 'docker'] as const;
/** A type with a recipe. */
export type RecipeType = (typeof PROJECT_TYPES)[number];
/** What a project may declare: a recipe type, or `auto` (detected on the worker at build time). */
export type ProjectType = RecipeType | 'auto';
export const ALL_PROJECT_TYPES: readonly ProjectType[] = [...PROJECT_TYPES, 'auto'];

import type { BuildbotVersion } from './buildbot-version.js';

/** A secret is named, never written: the name of a file in the master's secrets directory. */
export type SecretName = string;

export interface DeployConfig {
  /** Branches whose successful builds are deployed; each must also be in `branches`. Default: the first built branch. */
  branches?: string[];
  /** Path of the Marathon app-definition template in the project repository. Default `marathon.json`. */
  app?: string;
  /** Marathon app id, used for the deploy lock (two deploys of one app never overlap). Default: `/` + the lowercased project name. */
  appId?: string;
  /**
   * With top-level `environments`: which environment each deploy branch feeds, and which are reached
   * only by promotion. Keys are environment names. Without it, `branches` deploy to the one
   * environment (`marathon`, or the only entry of `environments`).
   */
  environments?: Record<string, ProjectEnvironmentConfig>;
}

/** Values that differ per environment, applied to the filled app definition. */
export interface EnvironmentValues {
  instances?: number;
  cpus?: number;
  mem?: number;
  disk?: number;
  /** Added to the definition's labels (these win over the template's). */
  labels?: Record<string, string>;
}

export interface ProjectEnvironmentConfig extends EnvironmentValues {
  /** Deploy branches whose successful builds deploy to this environment. */
  branches?: string[];
  /** This environment is reached only by promoting what runs healthy in that one. */
  promoteFrom?: string;
  /** Buildbot roles allowed to promote into this environment (and to roll it back). Default `['admins']`; `'*'` allows everyone. */
  promoteRoles?: Role[];
}

/** A named Marathon target. */
export interface EnvironmentConfig {
  url: string;
  /** Secret with a bearer token … */
  tokenSecret?: SecretName;
  /** … or secrets with HTTP basic credentials. */
  userSecret?: SecretName;
  passwordSecret?: SecretName;
  /** Sets the `HAPROXY_GROUP` label of every app deployed here (what `bbm haproxy --group` selects). */
  haproxyGroup?: string;
  /** Prepended to each project's app id here, e.g. `/staging` makes `/hello` `/staging/hello`. */
  appIdPrefix?: string;
}

export interface ProjectConfig {
  /** Builder name and `bbm tag --project`; letters, digits, `.`, `_`, `-`. */
  name: string;
  /** Git URL (or local path) of the project repository, without credentials (they are refused: use `credentials`). */
  repo: string;
  /** How the Git step and the poller log in to the repository, by secret name. */
  credentials?: RepoCredentials;
  /**
   * The forge webhook (configured in `changeSources`) that reports this repository's pushes. A
   * repository with a webhook is not polled as well (that would build every push twice) unless `poll` says so.
   */
  webhook?: 'github' | 'gitlab';
  /** Poll the repository (every `changeSources.pollInterval`). Default: true without `webhook`, false with one. */
  poll?: boolean;
  /**
   * Default false: on deploy branches the newest commit wins (a newer pending request replaces older
   * ones, an older build never deploys after a newer one). true: every commit is built and tested;
   * deploys still never go back to an older commit.
   */
  buildEveryCommit?: boolean;
  /** Report build and deploy results to the forge as commit statuses (`status.github`/`status.gitlab`). Default: the project's `webhook` forge when `status` configures it, else the only forge `status` configures. `false`: never. */
  status?: 'github' | 'gitlab' | false;
  /** Default `auto`: detected on the worker (`bbm detect`) at build time. */
  type?: ProjectType;
  /** Branches built on every change. Default `['master']`. The first one is what a forced build without a branch builds. */
  branches?: string[];
  /** Deploy to Marathon from these branches; `false` or absent: never deploy. */
  deploy?: DeployConfig | false;
  /** Dockerfile path in the repository. Default `Dockerfile`. */
  dockerfile?: string;
  /** Repository name in the registry. Default: the lowercased project name. */
  repository?: string;
  /** Extra `docker build` arguments. */
  buildArgs?: Record<string, string>;
  /**
   * Buildbot tags of the project's builders (its build builder and, where it promotes, its promote and
   * rollback builders), for the tag filters of Buildbot's own UI. Default: none. Each tag costs master
   * start-up time that grows with the square of the number of builders (docs/configuration.md).
   */
  tags?: string[];
}

/**
 * Repository login, by secret name: an SSH private key (ssh URLs; optionally a known_hosts secret),
 * or a user and token (http(s) URLs; handed to git by a credential helper from the environment).
 */
export type RepoCredentials = { sshKeySecret: SecretName; knownHostsSecret?: SecretName } | { userSecret: SecretName; tokenSecret: SecretName };

export interface WorkerConfig {
  name: string;
  /** Builds at once. Default 1. */
  maxBuilds?: number;
  /** Project types this worker can build (`auto` means: can build whatever is detected). Default: all. */
  types?: ProjectType[];
  /** Secret holding the worker's password. Default `worker-<name>`. */
  passwordSecret?: SecretName;
  /**
   * The worker program: `buildbot-worker` (Python, PB) or `bbm` (`bbm worker`, msgpack over
   * WebSocket). A `bbm` worker makes the master offer the msgpack port as well. Default `buildbot-worker`.
   */
  kind?: WorkerKind;
}

export const WORKER_KINDS = ['buildbot-worker', 'bbm'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

export interface RegistryConfig {
  /** `host[:port]` of the registry images are pushed to. */
  host: string;
  /** Secrets with the registry login, if it needs one (passed to `bbm push` as BBM_REGISTRY_USER/PASSWORD). */
  userSecret?: SecretName;
  passwordSecret?: SecretName;
}

export interface MarathonConfig {
  /** Required, unless `environments` is given (then only `deployStep` may be set here). */
  url?: string;
  /** Secret with a bearer token (BBM_MARATHON_TOKEN) … */
  tokenSecret?: SecretName;
  /** … or secrets with HTTP basic credentials (BBM_MARATHON_USER/PASSWORD). */
  userSecret?: SecretName;
  passwordSecret?: SecretName;
  /** `false` leaves the deploy step out of every builder. Default true. */
  deployStep?: boolean;
}

export type Role = string;

export interface WwwConfig {
  /** Address the web UI listens on. Default `127.0.0.1`. */
  address?: string;
  /** Default 8010. */
  port?: number;
  /**
   * Login: a file of `user:password` lines (Buildbot's HTPasswdAuth, read by the master; keep it
   * beside the secrets). Without it nobody can log in, and force/stop/rebuild are refused to
   * everyone unless `allow` lists `'*'`.
   */
  auth?: { htpasswd: string };
  /** Role name → user names. */
  roles?: Record<Role, string[]>;
  /**
   * Roles allowed to force, stop and rebuild builds, and every other control action (`control`:
   * cancel build requests, pause/kill workers, enable schedulers, priorities…); `'*'` allows
   * everyone. Default `['admins']` each. Anything not granted here is refused (deny by default).
   */
  allow?: { force?: Role[]; stop?: Role[]; rebuild?: Role[]; control?: Role[] };
}

export interface BuildbotConfig {
  /** The Buildbot URL users open (`c['buildbotURL']`), also passed to `bbm deploy --build-url`. */
  url: string;
  title?: string;
  workers: WorkerConfig[];
  www?: WwwConfig;
  /** Where workers connect (PB protocol). Default `127.0.0.1:9989`. */
  workerPort?: number;
  workerAddress?: string;
  /**
   * The msgpack port `bbm` workers connect to (offered only when a worker has `kind: 'bbm'`). Buildbot
   * listens on it on every interface (no address can be given). Default 9990.
   */
  msgpackPort?: number;
  /** Secrets directory (SecretInAFile), relative to the master's basedir. Default `secrets`. */
  secretsDir?: string;
  /**
   * Database URL (default `sqlite:///state.sqlite`), or the name of a secret that holds it, for a URL
   * with a password (`postgresql://user:password@db/buildbot`): Buildbot opens the database before
   * secrets providers run, so the master reads that file from secretsDir when it loads master.cfg.
   */
  db?: string | { urlSecret: SecretName };
  /** How the worker runs `bbm`: an argv prefix. Default `['bbm']`. */
  bbm?: string[];
  /**
   * `'shared'` (default): one force form, `force`, on every builder's page (it forces that builder
   * only). `'perProject'`: one force scheduler per project, `force-<name>`, whose branch field
   * defaults to the project's first branch; each costs about 10 ms of master start-up.
   */
  forceSchedulers?: 'shared' | 'perProject';
  /**
   * The Buildbot version the master runs, `'major.minor'` (e.g. `'4.3'`, `'3.7'` for Debian 12's
   * packages); generation emits what that version needs. Default `'4.3'`. `bbm generate
   * --buildbot-version` overrides it. A master outside the version's range refuses the file.
   */
  version?: string;
}

export interface ChangeSourcesConfig {
  /** Seconds between polls of each repository (one GitPoller per repository); 0 turns polling off. Default 60. */
  pollInterval?: number;
  /** Enables the GitHub webhook at `/change_hook/github`, checked with this secret. */
  github?: { secret: SecretName };
  /** Enables the GitLab webhook at `/change_hook/gitlab`, checked with this secret. */
  gitlab?: { secret: SecretName };
  /**
   * Enables `/change_hook/poller` (a POST makes the pollers poll now; e.g. from a repository's
   * post-receive hook). Anyone who reaches the web UI can call it, so it is off by default.
   */
  pollerHook?: boolean;
}

/** A forge that gets commit statuses: a token by secret name, and its URL for a self-hosted forge. */
export interface StatusForgeConfig {
  tokenSecret: SecretName;
  /** API base, default `https://api.github.com` / `https://gitlab.com`. */
  url?: string;
}

/** Commit statuses back to the forge (contexts `bbm/build`, and `bbm/deploy` for builds that deploy). */
export interface StatusConfig {
  github?: StatusForgeConfig;
  gitlab?: StatusForgeConfig;
}

/** What `ci.config.ts` exports (through `defineConfig`). */
export interface CiConfig {
  /** Registry host[:port], or an object with credentials. */
  registry: string | RegistryConfig;
  /** The one Marathon (an implicit environment named `default`); leave it out when `environments` is given. */
  marathon?: MarathonConfig;
  /** Named Marathon targets (staging, production…); see docs/configuration.md "Environments and promotion". */
  environments?: Record<string, EnvironmentConfig>;
  buildbot: BuildbotConfig;
  changeSources?: ChangeSourcesConfig;
  status?: StatusConfig;
  projects: ProjectConfig[];
}

// ---- resolved: every default filled in ----

export interface ResolvedProject {
  name: string;
  repo: string;
  credentials: { sshKey: SecretName; knownHosts: SecretName | null } | { user: SecretName; token: SecretName } | null;
  webhook: 'github' | 'gitlab' | null;
  poll: boolean;
  buildEveryCommit: boolean;
  status: 'github' | 'gitlab' | null;
  type: ProjectType;
  branches: string[];
  deploy: ResolvedDeploy | null;
  dockerfile: string;
  repository: string;
  buildArgs: [string, string][];
  tags: string[];
  /** Names of the workers that can build this project. */
  workers: string[];
}

export interface ResolvedDeploy {
  /** Every deploy branch, over all environments. */
  branches: string[];
  app: string;
  /** The app id before an environment's prefix. */
  appId: string;
  environments: ResolvedProjectEnvironment[];
}

export interface ResolvedProjectEnvironment {
  name: string;
  /** The app id in this environment (its prefix + the project's app id). */
  appId: string;
  branches: string[];
  promoteFrom: string | null;
  promoteRoles: Role[];
  values: ResolvedEnvironmentValues;
}

export interface ResolvedEnvironmentValues {
  instances: number | null;
  cpus: number | null;
  mem: number | null;
  disk: number | null;
  labels: [string, string][];
}

export interface ResolvedEnvironment {
  name: string;
  url: string;
  tokenSecret: SecretName | null;
  userSecret: SecretName | null;
  passwordSecret: SecretName | null;
  haproxyGroup: string | null;
  /** `''` or an absolute app-id path without a trailing `/`. */
  appIdPrefix: string;
  /** True for the one environment made from `marathon`. */
  implicit: boolean;
}

export interface ResolvedWorker {
  name: string;
  maxBuilds: number;
  types: ProjectType[];
  passwordSecret: SecretName;
  kind: WorkerKind;
}

export interface ResolvedConfig {
  registry: { host: string; userSecret: SecretName | null; passwordSecret: SecretName | null };
  marathon: { deployStep: boolean };
  /** Every Marathon target; one implicit `default` built from `marathon` when `environments` is absent. */
  environments: ResolvedEnvironment[];
  buildbot: {
    url: string;
    title: string;
    workers: ResolvedWorker[];
    www: {
      address: string;
      port: number;
      htpasswd: string | null;
      roles: [Role, string[]][];
      allow: { force: Role[]; stop: Role[]; rebuild: Role[]; control: Role[] };
    };
    workerAddress: string;
    workerPort: number;
    /** Offered only when a worker is a `bbm` worker. */
    msgpackPort: number;
    secretsDir: string;
    db: { url: string } | { urlSecret: SecretName };
    bbm: string[];
    forceSchedulers: 'shared' | 'perProject';
    version: BuildbotVersion;
  };
  changeSources: { pollInterval: number; github: SecretName | null; gitlab: SecretName | null; pollerHook: boolean };
  status: { github: { tokenSecret: SecretName; url: string | null } | null; gitlab: { tokenSecret: SecretName; url: string | null } | null };
  projects: ResolvedProject[];
}
