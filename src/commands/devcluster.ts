import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { withEnv } from './env-options.js';

interface Args {
  host: string;
  port: number;
  'state-dir': string;
  name: string;
  'host-port-range': string;
  'advertise-host': string;
  'docker-socket': string;
  'default-image': string;
  pull: 'missing' | 'never';
  'auth-file': string | undefined;
  'allow-privileged': boolean;
}

function parseRange(text: string, flag: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a port range`, { hint: `give it as LOW-HIGH, e.g. ${flag} 31000-32000` });
  return [Number(m[1]), Number(m[2])];
}

export const devclusterCommand: CommandModule<object, Args> = {
  command: 'devcluster',
  describe: 'Run a single-machine engine that speaks the Marathon /v2 subset and runs tasks as local Docker containers',
  builder: (y) =>
    y
      .option('host', withEnv('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' }))
      .option('port', withEnv('port', { type: 'number', default: 8080, describe: 'port to listen on (0: any free port)' }))
      .option('state-dir', withEnv('state-dir', { type: 'string', default: '.bbm-devcluster', describe: 'folder for apps, versions and deployments' }))
      .option('name', withEnv('name', { type: 'string', default: 'default', describe: "cluster name: labels this cluster's containers" }))
      .option('host-port-range', withEnv('host-port-range', { type: 'string', default: '31000-32000', describe: 'host ports handed to tasks' }))
      .option('advertise-host', withEnv('advertise-host', { type: 'string', default: '127.0.0.1', describe: 'host tasks report ($HOST)' }))
      .option('docker-socket', withEnv('docker-socket', { type: 'string', default: '/var/run/docker.sock', describe: 'Docker engine socket' }))
      .option('default-image', withEnv('default-image', { type: 'string', default: 'bbm-test/busybox:latest', describe: 'image for apps without a container' }))
      .option('pull', withEnv('pull', { choices: ['missing', 'never'] as const, default: 'missing' as const, describe: 'pull images that are not present, or never pull' }))
      .option('auth-file', withEnv('auth-file', { type: 'string', describe: 'file with one line user:password: every request needs HTTP basic auth (required when --host is not loopback)' }))
      .option('allow-privileged', withEnv('allow-privileged', { type: 'boolean', default: false, describe: 'accept privileged containers, host-path volumes and docker parameters that widen access' }))
      .example('bbm devcluster --port 0 --state-dir /tmp/dc', 'serve on a free port on 127.0.0.1')
      .example('bbm devcluster --host 0.0.0.0 --auth-file ./secrets/devcluster', 'serve beyond this machine, with HTTP basic auth'),
  handler: async (argv) => {
    const { runDevcluster } = await import('../devcluster/run.js');
    const { cliContext } = await import('../cli-context.js');
    await runDevcluster(
      {
        host: argv.host,
        port: argv.port,
        stateDir: argv['state-dir'],
        name: argv.name,
        hostPortRange: parseRange(argv['host-port-range'], '--host-port-range'),
        advertiseHost: argv['advertise-host'],
        dockerSocket: argv['docker-socket'],
        defaultImage: argv['default-image'],
        pull: argv.pull,
        allowPrivileged: argv['allow-privileged'],
        ...(argv['auth-file'] !== undefined ? { authFile: argv['auth-file'] } : {}),
      },
      cliContext(),
    );
  },
};
