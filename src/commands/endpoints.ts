import type { CommandModule } from 'yargs';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface EndpointsArgs extends MarathonArgs {
  json: boolean;
  'healthy-only': boolean;
}

export const endpointsCommand: CommandModule<object, EndpointsArgs> = {
  command: 'endpoints',
  describe: 'every app and service port with the host:port of its running tasks (`webapp 20000 host:31156 …`)',
  builder: (y) =>
    marathonOptions(y)
      .option('json', { type: 'boolean', default: false, describe: 'print JSON (with task ids and health)' })
      .option('healthy-only', { type: 'boolean', default: false, describe: 'only tasks that are running and healthy (what bbm haproxy routes to)' }) as never,
  handler: async (argv) => {
    const { runEndpoints } = await import('../discovery/endpoints-run.js');
    const { cliContext } = await import('../cli-context.js');
    await runEndpoints({ marathon: marathonConnection(argv), json: argv.json, healthyOnly: argv['healthy-only'] }, cliContext());
  },
};
