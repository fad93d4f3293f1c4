/**
 * The part of Marathon's /v2 data model that bbm sends, reads or serves (devcluster), after
 * Marathon 1.10 (mesosphere/marathon docs/docs/rest-api/public/api/v2/types/*.raml and
 * src/main/scala/mesosphere/marathon/api/v2/json/Formats.scala at v1.10.26).
 * Shared by the client (deploy, status, endpoints, haproxy) and by `bbm devcluster`.
 */

export type Protocol = 'tcp' | 'udp' | 'udp,tcp';

export interface PortMapping {
  containerPort?: number;
  hostPort?: number;
  servicePort?: number;
  protocol?: Protocol;
  name?: string;
  labels?: Record<string, string>;
  networkNames?: string[];
}

export interface PortDefinition {
  port: number;
  protocol?: Protocol;
  name?: string;
  labels?: Record<string, string>;
}

export interface Network {
  mode: 'host' | 'container/bridge' | 'container';
  name?: string;
  labels?: Record<string, string>;
}

export interface DockerContainer {
  image: string;
  forcePullImage?: boolean;
  privileged?: boolean;
  parameters?: { key: string; value: string }[];
  /** Deprecated (pre-1.5): migrated to `networks`. */
  network?: 'BRIDGE' | 'HOST' | 'USER' | 'NONE';
  /** Deprecated (pre-1.5): migrated to `container.portMappings`. */
  portMappings?: PortMapping[];
}

export interface Container {
  type?: 'DOCKER' | 'MESOS';
  docker?: DockerContainer;
  portMappings?: PortMapping[];
  volumes?: unknown[];
}

export type HealthCheckProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'COMMAND' | 'MESOS_HTTP' | 'MESOS_HTTPS' | 'MESOS_TCP';

export interface HealthCheck {
  protocol?: HealthCheckProtocol;
  path?: string;
  portIndex?: number;
  port?: number;
  gracePeriodSeconds?: number;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  maxConsecutiveFailures?: number;
  delaySeconds?: number;
  ignoreHttp1xx?: boolean;
  ipProtocol?: 'IPv4' | 'IPv6';
  command?: { value: string };
}

export interface UpgradeStrategy {
  minimumHealthCapacity?: number;
  maximumOverCapacity?: number;
}

/** An app definition as sent to PUT/POST /v2/apps (every field optional but `id`). */
export interface AppDefinition {
  id: string;
  cmd?: string | null;
  args?: string[] | null;
  instances?: number;
  cpus?: number;
  mem?: number;
  disk?: number;
  gpus?: number;
  env?: Record<string, string | { secret: string }>;
  labels?: Record<string, string>;
  constraints?: string[][];
  container?: Container | null;
  networks?: Network[];
  portDefinitions?: PortDefinition[];
  /** Deprecated (pre-1.5) host-networking ports. */
  ports?: number[];
  requirePorts?: boolean;
  healthChecks?: HealthCheck[];
  upgradeStrategy?: UpgradeStrategy;
  backoffSeconds?: number;
  backoffFactor?: number;
  maxLaunchDelaySeconds?: number;
  /** Seconds between SIGTERM and SIGKILL when a task is stopped (Mesos KillPolicy); unset: the executor's default. */
  taskKillGracePeriodSeconds?: number;
  fetch?: { uri: string; extract?: boolean; executable?: boolean; cache?: boolean }[];
  /** Deprecated (pre-1.5): migrated to `fetch`. */
  uris?: string[];
  user?: string;
  version?: string;
  dependencies?: string[];
  killSelection?: 'YOUNGEST_FIRST' | 'OLDEST_FIRST';
  [field: string]: unknown;
}

export type TaskState =
  | 'TASK_STAGING'
  | 'TASK_STARTING'
  | 'TASK_RUNNING'
  | 'TASK_FINISHED'
  | 'TASK_FAILED'
  | 'TASK_KILLING'
  | 'TASK_KILLED'
  | 'TASK_LOST'
  | 'TASK_ERROR'
  | 'TASK_UNREACHABLE';

export interface HealthCheckResult {
  alive: boolean;
  consecutiveFailures: number;
  firstSuccess: string | null;
  lastFailure: string | null;
  lastSuccess: string | null;
  lastFailureCause?: string | null;
  instanceId: string;
}

export interface Task {
  id: string;
  appId: string;
  host: string;
  ipAddresses?: { ipAddress: string; protocol: 'IPv4' | 'IPv6' }[];
  ports: number[];
  servicePorts: number[];
  slaveId?: string;
  state: TaskState;
  stagedAt?: string;
  startedAt?: string;
  version: string;
  healthCheckResults?: HealthCheckResult[];
  localVolumes?: unknown[];
  role?: string;
}

/** A failed or killed task, as `lastTaskFailure` of an app (mesosphere/marathon core/appinfo/TaskFailure). */
export interface TaskFailure {
  appId: string;
  host: string;
  message: string;
  state: TaskState;
  taskId: string;
  timestamp: string;
  version: string;
  slaveId: string;
}

/** GET /v2/queue → { queue: QueueItem[] } (mesosphere/marathon api/v2/QueueResource.scala). */
export interface QueueItem {
  app: AppDefinition;
  count: number;
  role: string;
  delay: { timeLeftSeconds: number; overdue: boolean };
  since: string;
  processedOffersSummary: {
    processedOffersCount: number;
    unusedOffersCount: number;
    rejectSummaryLastOffers: { reason: string; declined: number; processed: number }[];
  };
}

export interface DeploymentRef {
  id: string;
}

/** GET /v2/apps/{id} → { app: AppInfo }. */
export interface AppInfo extends AppDefinition {
  version: string;
  versionInfo?: { lastScalingAt: string; lastConfigChangeAt: string };
  tasksStaged?: number;
  tasksRunning?: number;
  tasksHealthy?: number;
  tasksUnhealthy?: number;
  deployments?: DeploymentRef[];
  tasks?: Task[];
  lastTaskFailure?: TaskFailure | unknown;
}

export type DeploymentActionName =
  | 'StartApplication'
  | 'StopApplication'
  | 'ScaleApplication'
  | 'RestartApplication'
  | 'ResolveArtifacts';

export interface DeploymentAction {
  action: DeploymentActionName;
  app: string;
}

export interface Deployment {
  id: string;
  version: string;
  affectedApps: string[];
  affectedPods: string[];
  steps: { actions: DeploymentAction[] }[];
  currentActions: (DeploymentAction & { readinessCheckResults: unknown[] })[];
  currentStep: number;
  totalSteps: number;
}

/** Body of PUT/DELETE answers that start a deployment. */
export interface DeploymentResult {
  deploymentId: string;
  version: string;
}

/** Every event carries these; the rest depends on eventType (mesosphere/marathon core/event/Events.scala). */
export interface MarathonEvent {
  eventType: string;
  timestamp: string;
  [field: string]: unknown;
}

/** Error bodies (mesosphere/marathon api/MarathonExceptionMapper.scala). */
export interface MarathonErrorBody {
  message: string;
  details?: string | { path: string; errors: string[] }[];
  deployments?: DeploymentRef[];
}
