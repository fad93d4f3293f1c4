import { defineCommand } from './define.js';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface HaproxyArgs extends MarathonArgs {
  out: string;
  watch: boolean;
  bind: string;
  group?: string;
  'http-port': number;
  'stats-socket'?: string;
  'haproxy-bin': string;
  'run-haproxy': boolean;
  'master-socket'?: string;
  'reload-command'?: string;
  'health-port'?: number;
  'health-file'?: string;
  debounce: number;
  'resync-interval': number;
  'stall-timeout': number;
  slots: number;
  'apply-events': boolean;
}

export const haproxyCommand = defineCommand<HaproxyArgs>({
  name: 'haproxy',
  describe: 'write an HAProxy config routing each service port to healthy tasks; --watch keeps it live',
  options: {
    ...marathonOptions,
    out: { type: 'string', demandOption: true, describe: 'the haproxy.cfg to write (checked with haproxy -c, replaced atomically; a rejected one goes to <out>.rejected)' },
    watch: { type: 'boolean', default: false, describe: 'follow /v2/events and keep HAProxy up to date' },
    bind: { type: 'string', default: '127.0.0.1', describe: 'address the frontends bind (0.0.0.0 for every interface)' },
    group: { type: 'string', describe: 'only apps whose HAPROXY_GROUP label matches (* = all; default: all apps)' },
    'http-port': { type: 'number', default: 80, valid: { port: true }, describe: 'port of the shared HTTP frontend for HAPROXY_{n}_VHOST apps' },
    'stats-socket': { type: 'string', describe: 'HAProxy runtime API socket written into the config (default <out>.sock)' },
    'haproxy-bin': { type: 'string', default: 'haproxy', describe: 'the haproxy executable (for -c checks and --run-haproxy)' },
    'run-haproxy': { type: 'boolean', default: false, describe: 'with --watch: run HAProxy in master-worker mode and reload it seamlessly' },
    'master-socket': { type: 'string', describe: 'master CLI socket for --run-haproxy (default <out>.master.sock)' },
    'reload-command': { type: 'string', describe: 'reload an HAProxy you run yourself: a JSON argv array or words split on spaces; never run through a shell' },
    'health-port': { type: 'number', valid: { port: true, allowZero: true }, describe: 'with --watch: serve GET /health on 127.0.0.1:<port> (0 = any free port)' },
    'health-file': { type: 'string', describe: 'with --watch: keep the bridge status (last successful sync…) in this JSON file' },
    debounce: { type: 'number', default: 300, valid: { nonNegative: 'ms' }, describe: 'ms to wait for a burst of events to end before syncing' },
    'resync-interval': { type: 'number', default: 60, valid: { positive: 'seconds' }, describe: 'seconds between full resyncs, events or not' },
    'stall-timeout': { type: 'number', default: 30, valid: { positive: 'seconds' }, describe: 'seconds without a byte (event or heartbeat) before the event stream is treated as dead' },
    'apply-events': { type: 'boolean', default: true, describe: "with --watch: apply task and health events to HAProxy's runtime API directly (--no-apply-events fetches all apps on every event, as marathon-lb does)" },
    slots: { type: 'number', default: 4, valid: { whole: [1, 1024] }, describe: 'smallest number of server slots per backend (task changes within the slots need no reload)' },
  },
  examples: [
    ['$0 haproxy --out /etc/haproxy/haproxy.cfg', 'write the config once (checked with haproxy -c)'],
    ['$0 haproxy --out /run/bbm/haproxy.cfg --watch --run-haproxy --health-port 9090', 'run HAProxy and keep it in step with Marathon'],
  ],
  run: async (argv) => {
    const [{ runHaproxy }, { cliContext }] = await Promise.all([import('../discovery/haproxy-run.js'), import('../cli-context.js')]);
    await runHaproxy(
      {
        marathon: marathonConnection(argv),
        out: argv.out,
        watch: argv.watch,
        bind: argv.bind,
        group: argv.group,
        httpPort: argv['http-port'],
        statsSocket: argv['stats-socket'],
        haproxyBin: argv['haproxy-bin'],
        runHaproxy: argv['run-haproxy'],
        masterSocket: argv['master-socket'],
        reloadCommand: argv['reload-command'],
        healthPort: argv['health-port'],
        healthFile: argv['health-file'],
        debounceMs: argv.debounce,
        resyncIntervalSeconds: argv['resync-interval'],
        stallTimeoutSeconds: argv['stall-timeout'],
        minSlots: argv.slots,
        applyEvents: argv['apply-events'],
      },
      cliContext(),
    );
  },
});
