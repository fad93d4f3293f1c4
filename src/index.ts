/** The library surface of buildbot-marathon (what `import … from 'buildbot-marathon'` gives). */
export { BbmError, ExitCode, UsageError, OperationFailedError, UnreachableError, ValidationError } from './errors.js';
export type { Problem } from './errors.js';
export type { Reporter } from './reporter.js';
export { defineConfig } from './config/define.js';
export type {
  CiConfig,
  ProjectConfig,
  ProjectType,
  DeployConfig,
  WorkerConfig,
  RegistryConfig,
  MarathonConfig,
  BuildbotConfig,
  WwwConfig,
  ChangeSourcesConfig,
  SecretName,
} from './config/types.js';
