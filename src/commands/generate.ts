import { defineCommand } from './define.js';

interface Args {
  config?: string;
  out: string;
  check?: boolean;
  buildbotVersion?: string;
  'config-timeout': number;
}

export const generateCommand = defineCommand<Args>({
  name: 'generate',
  describe: 'Generate the Buildbot master.cfg from ci.config.ts (or ci.config.json)',
  options: {
    config: { type: 'string', describe: 'config file (default: ci.config.ts, ci.config.mts or ci.config.json in the current directory)' },
    out: { type: 'string', default: 'generated/master.cfg', describe: 'output file' },
    check: { type: 'boolean', describe: 'write nothing; exit 1 when the output file is stale' },
    'buildbot-version': { type: 'string', describe: "Buildbot version the master runs, e.g. 4.3 or 3.7 (overrides the config's buildbot.version)" },
    'config-timeout': { type: 'number', default: 30, valid: { positive: 'seconds' }, describe: 'seconds a TypeScript config may take to load before it is stopped (exit 2)' },
  },
  examples: [
    ['$0 generate', 'ci.config.ts → generated/master.cfg'],
    ['$0 generate --check', 'in CI: exit 1 when generated/master.cfg is stale'],
    ['$0 generate --config ops/ci.config.ts --out master/master.cfg', 'other paths'],
    ['$0 generate --buildbot-version 3.7', "for Debian 12's Buildbot, whatever the config says"],
  ],
  run: async (argv) => {
    const [{ runGenerate }, { cliContext }] = await Promise.all([import('../generate.js'), import('../cli-context.js')]);
    await runGenerate({ config: argv.config, out: argv.out, check: argv.check, buildbotVersion: argv.buildbotVersion, configTimeoutSeconds: argv['config-timeout'] }, cliContext());
  },
});
