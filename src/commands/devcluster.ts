import { UsageError } from '../errors.js';
import { defineCommand } from './define.js';

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

export const devclusterCommand = defineCommand<Args>({
  name: 'devcluster',
  describe: 'Run a single-machine engine that speaks the Marathon /v2 subset and runs tasks as local Docker containers',
  options: {
    host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on' },
    port: { type: 'number', default: 8080, valid: { port: true, allowZero: true }, describe: 'port to listen on (0: any free port)' },
    'state-dir': { type: 'string', default: '.bbm-devcluster', describe: 'folder for apps, versions and deployments' },
    name: { type: 'string', default: 'default', describe: "cluster name: labels this cluster's containers" },
    'host-port-range': { type: 'string', default: '31000-32000', describe: 'host ports handed to tasks' },
    'advertise-host': { type: 'string', default: '127.0.0.1', describe: 'host tasks report ($HOST)' },
    'docker-socket': { type: 'string', default: '/var/run/docker.sock', describe: 'Docker engine socket' },
    'default-image': { type: 'string', default: 'bbm-test/busybox:latest', describe: 'image for apps without a container' },
    pull: { choices: ['missing', 'never'], default: 'missing', describe: 'pull images that are not present, or never pull' },
    'auth-file': { type: 'string', describe: 'file with one line user:password: every request needs HTTP basic auth (required when --host is not loopback)' },
    'allow-privileged': { type: 'boolean', default: false, describe: 'accept privileged containers, host-path volumes and docker parameters that widen access' },
  },
  examples: [
    ['$0 devcluster', 'serve the Marathon API on http://127.0.0.1:8080 until SIGINT/SIGTERM'],
    ['$0 devcluster --port 0 --state-dir /tmp/dc', 'serve on a free port on 127.0.0.1'],
    ['$0 devcluster --host 0.0.0.0 --auth-file ./secrets/devcluster', 'serve beyond this machine, with HTTP basic auth'],
  ],
  run: async (argv) => {
    const [{ runDevcluster }, { cliContext }] = await Promise.all([import('../devcluster/run.js'), import('../cli-context.js')]);
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
});
