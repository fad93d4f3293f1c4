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
export { composeTag, composeImage, sanitizeBranch, sanitizeTagPart, branchHash, normalizeBranch, MAX_TAG_LENGTH } from './tag/compose.js';
export type { TagFacts, ComposedTag, ImageNameOptions } from './tag/compose.js';
export type { TagResult, TagOptions } from './tag/run.js';
export { parseImageReference, TAG_PATTERN, REPOSITORY_PATTERN, REGISTRY_PATTERN } from './docker/reference.js';
export type { ImageReference } from './docker/reference.js';
