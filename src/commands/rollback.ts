import { defineCommand } from './define.js';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface RollbackArgs extends MarathonArgs {
  'app-id': string;
  to?: string;
  timeout: number;
  force: boolean;
}

export const rollbackCommand = defineCommand<RollbackArgs>({
  name: 'rollback',
  describe: 'put the previous configuration of an app back (or --to VERSION) and wait until it is healthy',
  options: {
    ...marathonOptions,
    'app-id': { type: 'string', demandOption: true, describe: 'Marathon app id, e.g. /web' },
    to: { type: 'string', describe: 'version timestamp to restore (default: the one before the current configuration)' },
    timeout: { type: 'number', default: 600, valid: { positive: 'seconds' }, describe: 'seconds the whole rollback may take: finding the target, the deployment, the health check, retries included' },
    force: { type: 'boolean', default: false, describe: 'cancel a deployment that holds the app' },
  },
  examples: [
    ['$0 rollback --app-id /web', 'back to the configuration before the current one'],
    ['$0 rollback --app-id /web --to 2026-01-05T10:00:00.000Z --timeout 120', 'to a version `bbm status --app-id /web` lists'],
  ],
  run: async (argv) => {
    const marathon = marathonConnection(argv);
    const [{ runRollback }, { cliContext }] = await Promise.all([import('../deploy/rollback.js'), import('../cli-context.js')]);
    await runRollback({ appId: argv['app-id'], to: argv.to, marathon, timeoutSeconds: argv.timeout, force: argv.force }, cliContext());
  },
});
