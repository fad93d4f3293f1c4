/** Every default of the config, in one place (docs/configuration.md shows them). */
import type { ProjectType, WorkerKind } from './types.js';

export const DEFAULTS = {
  branches: ['master'],
  deployApp: 'marathon.json',
  dockerfile: 'Dockerfile',
  projectType: 'auto' as ProjectType,
  maxBuilds: 1,
  wwwAddress: '127.0.0.1',
  wwwPort: 8010,
  allowRoles: ['admins'],
  workerAddress: '127.0.0.1',
  workerPort: 9989,
  msgpackPort: 9990,
  workerKind: 'buildbot-worker' as WorkerKind,
  secretsDir: 'secrets',
  db: 'sqlite:///state.sqlite',
  bbm: ['bbm'],
  pollInterval: 60,
  title: 'buildbot-marathon',
  forceSchedulers: 'shared',
  /** Current Buildbot (PyPI, Buildbot's images); Debian 12's packages are 3.7. */
  buildbotVersion: '4.3',
} as const;
