import { defineCommand } from './define.js';

interface Args {
  config?: string;
  out: string;
  check?: boolean;
}

export const generateCommand = defineCommand<Args>({
  name: 'generate',
  describe: 'Generate the Buildbot master.cfg from ci.config.ts (or ci.config.json)',
  options: {
    config: { type: 'string', describe: 'config file (default: ci.config.ts, ci.config.mts or ci.config.json in the current directory)' },
    out: { type: 'string', default: 'generated/master.cfg', describe: 'output file' },
    check: { type: 'boolean', describe: 'write nothing; exit 1 when the output file is stale' },
  },
  examples: [
    ['$0 generate', 'ci.config.ts → generated/master.cfg'],
    ['$0 generate --check', 'in CI: exit 1 when generated/master.cfg is stale'],
    ['$0 generate --config ops/ci.config.ts --out master/master.cfg', 'other paths'],
  ],
  run: async (argv) => {
    const [{ runGenerate }, { cliContext }] = await Promise.all([import('../generate.js'), import('../cli-context.js')]);
    await runGenerate({ config: argv.config, out: argv.out, check: argv.check }, cliContext());
  },
});
