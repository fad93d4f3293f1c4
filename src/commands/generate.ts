import type { CommandModule } from 'yargs';
import { withEnv } from './env-options.js';

interface Args {
  config?: string;
  out?: string;
  check?: boolean;
}

export const generateCommand: CommandModule<object, Args> = {
  command: 'generate',
  describe: 'Generate the Buildbot master.cfg from ci.config.ts (or ci.config.json)',
  builder: (y) =>
    y
      .option('config', withEnv('config', { type: 'string', describe: 'config file (default: ci.config.ts, ci.config.mts or ci.config.json in the current directory)' }))
      .option('out', withEnv('out', { type: 'string', describe: 'output file', default: 'generated/master.cfg' }))
      .option('check', withEnv('check', { type: 'boolean', describe: 'write nothing; exit 1 when the output file is stale' })) as never,
  handler: async (argv) => {
    const [{ runGenerate }, { cliContext }] = await Promise.all([import('../generate.js'), import('../cli-context.js')]);
    await runGenerate({ config: argv.config, out: argv.out, check: argv.check }, cliContext());
  },
};
