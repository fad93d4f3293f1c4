import type { CommandModule } from 'yargs';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface RollbackArgs extends MarathonArgs {
  'app-id': string;
  to?: string;
  timeout: number;
  force: boolean;
}

export const rollbackCommand: CommandModule<object, RollbackArgs> = {
  command: 'rollback',
  describe: 'put the previous configuration of an app back (or --to VERSION) and wait until it is healthy',
  builder: (y) =>
    marathonOptions(y)
      .option('app-id', { type: 'string', demandOption: true, describe: 'Marathon app id, e.g. /web' })
      .option('to', { type: 'string', describe: 'version timestamp to restore (default: the one before the current configuration)' })
      .option('timeout', { type: 'number', default: 600, describe: 'seconds to wait for the rollback deployment' })
      .option('force', { type: 'boolean', default: false, describe: 'cancel a deployment that holds the app' }) as never,
  handler: async (argv) => {
    const marathon = marathonConnection(argv);
    const { runRollback } = await import('../deploy/rollback.js');
    const { cliContext } = await import('../cli-context.js');
    await runRollback({ appId: argv['app-id'], to: argv.to, marathon, timeoutSeconds: argv.timeout, force: argv.force }, cliContext());
  },
};
