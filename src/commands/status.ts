import type { CommandModule } from 'yargs';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface StatusArgs extends MarathonArgs {
  'app-id': string;
  json: boolean;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'versions, instances, health and running deployments of an app',
  builder: (y) =>
    marathonOptions(y)
      .option('app-id', { type: 'string', demandOption: true, describe: 'Marathon app id, e.g. /web' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
  handler: async (argv) => {
    const marathon = marathonConnection(argv);
    const { runStatus } = await import('../deploy/status.js');
    const { cliContext } = await import('../cli-context.js');
    await runStatus({ appId: argv['app-id'], json: argv.json, marathon }, cliContext());
  },
};
