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
  timed: true,
  run: async (argv) => {
    const [{ cliContext }, { untilStopped }] = await Promise.all([import('../cli-context.js'), import('../stopping.js')]);
    const ctx = cliContext(argv.cwd);
    // a stop (e.g. while the folder is on a file system that hangs) prints nothing and ends at once
    const line = await untilStopped(ctx.signal, () => `nothing printed; bbm detect only reads ${ctx.cwd}`, async () => {
      const { detectLayout, detectType } = await import('../detect.js');
      return argv.json ? JSON.stringify(await detectLayout(ctx.cwd)) : await detectType(ctx.cwd);
    });
    ctx.stdout(line);
  },
});
