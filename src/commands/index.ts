import type { DefinedCommand } from './define.js';

/**
 * Every subcommand, one module each (declared as ./define.ts shows). src/cli.ts imports only the
 * module of the command being run (all of them only for `bbm --help` or a name it does not know),
 * and each module's handler imports the library it needs, so `bbm tag` loads neither the other
 * commands nor ts-morph, ejs or dockerode. Add a command here with one line.
 */
type Loaded = DefinedCommand;
export const commandModules: Record<string, () => Promise<Loaded>> = {
  tag: async () => (await import('./tag.js')).tagCommand,
  build: async () => (await import('./build.js')).buildCommand,
  push: async () => (await import('./push.js')).pushCommand,
  devcluster: async () => (await import('./devcluster.js')).devclusterCommand,
  deploy: async () => (await import('./deploy.js')).deployCommand,
  promote: async () => (await import('./promote.js')).promoteCommand,
  rollback: async () => (await import('./rollback.js')).rollbackCommand,
  status: async () => (await import('./status.js')).statusCommand,
  generate: async () => (await import('./generate.js')).generateCommand,
  detect: async () => (await import('./detect.js')).detectCommand,
  endpoints: async () => (await import('./endpoints.js')).endpointsCommand,
  haproxy: async () => (await import('./haproxy.js')).haproxyCommand,
  worker: async () => (await import('./worker.js')).workerCommand,
};

/** The modules to load for a command line: the named command's, or every one. */
export async function loadCommands(argv: readonly string[]): Promise<Loaded[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const names = first !== undefined && Object.hasOwn(commandModules, first) ? [first] : Object.keys(commandModules);
  return Promise.all(names.map((n) => commandModules[n]!()));
}
