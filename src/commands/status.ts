import { UsageError } from '../errors.js';
import { defineCommand } from './define.js';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface StatusArgs extends MarathonArgs {
  'app-id'?: string;
  json: boolean;
  timeout: number;
  project?: string;
  config?: string;
  targets?: string;
}

export const statusCommand = defineCommand<StatusArgs>({
  name: 'status',
  describe: 'versions, instances, health and running deployments of an app; with --project, what runs in each environment',
  options: {
    ...marathonOptions,
    'app-id': { type: 'string', describe: 'Marathon app id, e.g. /web' },
    project: { type: 'string', describe: 'instead of --app-id: the project’s app in every environment of the config (one Marathon call each)' },
    config: { type: 'string', describe: 'with --project: config file (default: ci.config.ts in the working directory)' },
    targets: { type: 'string', describe: 'with --project: deploy targets JSON instead of --config' },
    json: { type: 'boolean', default: false, describe: 'print JSON' },
    timeout: { type: 'number', default: 60, valid: { positive: 'seconds' }, describe: 'seconds the whole command may take, retries of an unreachable or busy Marathon included' },
  },
  examples: [
    ['$0 status --app-id /web', 'versions, instances, health, deployments'],
    ['$0 status --app-id /web --json --marathon-url https://marathon.example.com', 'the same as JSON'],
    ['$0 status --project hello', 'build, digest, commit, health, endpoints and since when, per environment of ci.config.ts'],
  ],
  run: async (argv) => {
    if ((argv.project === undefined) === (argv['app-id'] === undefined))
      throw new UsageError('give --app-id ID (one app on --marathon-url) or --project NAME (its app in every environment of the config)');
    if (argv.project !== undefined) {
      const [{ runProjectStatus }, { cliContext }] = await Promise.all([import('../promote/status.js'), import('../cli-context.js')]);
      await runProjectStatus({ project: argv.project, json: argv.json, config: argv.config, targets: argv.targets, caFile: argv['marathon-ca-file'], timeoutSeconds: argv.timeout }, cliContext());
      return;
    }
    const marathon = marathonConnection(argv);
    const [{ runStatus }, { cliContext }] = await Promise.all([import('../deploy/status.js'), import('../cli-context.js')]);
    await runStatus({ appId: argv['app-id'] as string, json: argv.json, marathon, timeoutSeconds: argv.timeout }, cliContext());
  },
});
