import { defineCommand } from './define.js';

interface Args {
  cwd?: string;
  json?: boolean;
}

export const detectCommand = defineCommand<Args>({
  name: 'detect',
  describe: 'Print the project type of a checkout (python, maven, gradle, node, go, docker)',
  options: {
    cwd: { type: 'string', describe: 'the checkout (default: the current directory)' },
    json: { type: 'boolean', describe: 'print the type and layout facts as JSON (type null when unknown, exit 0)' },
  },
  examples: [
    ['$0 detect', 'prints e.g. python; exit 2 when no type is recognised'],
    ['$0 detect --cwd build/src --json', '{"type","tests","setupPy","pyproject","gradleWrapper"}'],
  ],
  run: async (argv) => {
    const [{ detectLayout, detectType }, { cliContext }] = await Promise.all([import('../detect.js'), import('../cli-context.js')]);
    const ctx = cliContext(argv.cwd);
    if (argv.json) ctx.stdout(JSON.stringify(await detectLayout(ctx.cwd)));
    else ctx.stdout(await detectType(ctx.cwd));
  },
});
