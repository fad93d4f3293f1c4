import type { CommandModule } from 'yargs';
import { withEnv } from './env-options.js';

interface Args {
  cwd?: string;
  json?: boolean;
}

export const detectCommand: CommandModule<object, Args> = {
  command: 'detect',
  describe: 'Print the project type of a checkout (python, maven, gradle, node, go, docker)',
  builder: (y) =>
    y
      .option('cwd', withEnv('cwd', { type: 'string', describe: 'the checkout (default: the current directory)' }))
      .option('json', withEnv('json', { type: 'boolean', describe: 'print the type and layout facts as JSON (type null when unknown, exit 0)' })) as never,
  handler: async (argv) => {
    const [{ detectLayout, detectType }, { cliContext }] = await Promise.all([import('../detect.js'), import('../cli-context.js')]);
    const ctx = cliContext(argv.cwd);
    if (argv.json) ctx.stdout(JSON.stringify(await detectLayout(ctx.cwd)));
    else ctx.stdout(await detectType(ctx.cwd));
  },
};
