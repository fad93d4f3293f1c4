import { UsageError } from '../errors.js';
import { defineCommand } from './define.js';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface RollbackArgs extends MarathonArgs {
  'app-id'?: string;
  project?: string;
  environment?: string;
  config?: string;
  targets?: string;
  to?: string;
  timeout: number;
  force: boolean;
}

export const rollbackCommand = defineCommand<RollbackArgs>({
  name: 'rollback',
  describe: 'put the previous configuration of an app back (or --to VERSION) and wait until it is healthy',
  options: {
    ...marathonOptions,
    'app-id': { type: 'string', describe: 'Marathon app id, e.g. /web' },
    project: { type: 'string', describe: 'instead of --app-id: the project’s app in --environment, from the config' },
    environment: { type: 'string', describe: 'with --project: the environment to roll back' },
    config: { type: 'string', describe: 'with --project: config file (default: ci.config.ts in the working directory)' },
    targets: { type: 'string', describe: 'with --project: deploy targets JSON instead of --config' },
    to: { type: 'string', describe: 'version timestamp to restore (default: the one before the current configuration)' },
    timeout: { type: 'number', default: 600, valid: { positive: 'seconds' }, describe: 'seconds the whole rollback may take: finding the target, the deployment, the health check, retries included' },
    force: { type: 'boolean', default: false, describe: 'cancel a deployment that holds the app' },
  },
  examples: [
    ['$0 rollback --app-id /web', 'back to the configuration before the current one'],
    ['$0 rollback --app-id /web --to 2026-01-05T10:00:00.000Z --timeout 120', 'to a version `bbm status --app-id /web` lists'],
    ['$0 rollback --project hello --environment production', 'the project’s app in production, URL and credentials from ci.config.ts'],
  ],
  timed: true,
  run: async (argv) => {
    const [{ runRollback }, { cliContext }] = await Promise.all([import('../deploy/rollback.js'), import('../cli-context.js')]);
    if (argv.project !== undefined) {
      if (argv['app-id'] !== undefined || argv.environment === undefined) throw new UsageError('with --project, name the environment to roll back (--environment NAME) and leave --app-id out');
      const { environmentTarget } = await import('../promote/targets-source.js');
      const t = await environmentTarget(argv.project, argv.environment, { config: argv.config, targets: argv.targets }, cliContext());
      await runRollback({ appId: t.appId, to: argv.to, marathon: { url: t.url, authFiles: {}, caFile: argv['marathon-ca-file'] }, timeoutSeconds: argv.timeout, force: argv.force }, t.ctx);
      return;
    }
    if (argv['app-id'] === undefined) throw new UsageError('give --app-id ID, or --project NAME --environment NAME');
    const marathon = marathonConnection(argv);
    await runRollback({ appId: argv['app-id'], to: argv.to, marathon, timeoutSeconds: argv.timeout, force: argv.force }, cliContext());
  },
});
