import { defineCommand } from './define.js';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface EndpointsArgs extends MarathonArgs {
  json: boolean;
  'healthy-only': boolean;
  timeout: number;
}

export const endpointsCommand = defineCommand<EndpointsArgs>({
  name: 'endpoints',
  describe: 'every app and service port with the host:port of its running tasks (`webapp 20000 host:31156 …`)',
  options: {
    ...marathonOptions,
    json: { type: 'boolean', default: false, describe: 'print JSON (with task ids and health)' },
    'healthy-only': { type: 'boolean', default: false, describe: 'only tasks that are running and healthy (what bbm haproxy routes to)' },
    timeout: { type: 'number', default: 60, valid: { positive: 'seconds' }, describe: 'seconds the whole command may take, retries of an unreachable or busy Marathon included' },
  },
  examples: [
    ['$0 endpoints', 'one line per app and service port'],
    ['$0 endpoints --healthy-only --json', 'what bbm haproxy would route to, as JSON'],
  ],
  run: async (argv) => {
    const [{ runEndpoints }, { cliContext }] = await Promise.all([import('../discovery/endpoints-run.js'), import('../cli-context.js')]);
    await runEndpoints({ marathon: marathonConnection(argv), json: argv.json, healthyOnly: argv['healthy-only'], timeoutSeconds: argv.timeout }, cliContext());
  },
});
