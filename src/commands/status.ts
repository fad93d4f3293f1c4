import { defineCommand } from './define.js';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface StatusArgs extends MarathonArgs {
  'app-id': string;
  json: boolean;
  timeout: number;
}

export const statusCommand = defineCommand<StatusArgs>({
  name: 'status',
  describe: 'versions, instances, health and running deployments of an app',
  options: {
    ...marathonOptions,
    'app-id': { type: 'string', demandOption: true, describe: 'Marathon app id, e.g. /web' },
    json: { type: 'boolean', default: false, describe: 'print JSON' },
    timeout: { type: 'number', default: 60, valid: { positive: 'seconds' }, describe: 'seconds the whole command may take, retries of an unreachable or busy Marathon included' },
  },
  examples: [
    ['$0 status --app-id /web', 'versions, instances, health, deployments'],
    ['$0 status --app-id /web --json --marathon-url https://marathon.example.com', 'the same as JSON'],
  ],
  run: async (argv) => {
    const marathon = marathonConnection(argv);
    const [{ runStatus }, { cliContext }] = await Promise.all([import('../deploy/status.js'), import('../cli-context.js')]);
    await runStatus({ appId: argv['app-id'], json: argv.json, marathon, timeoutSeconds: argv.timeout }, cliContext());
  },
});
