/**
 * The full command line through yargs: help, version, every mistake and its message. src/cli.ts
 * loads this only when its fast path (commands/fast-parse.ts) does not take the line.
 */
import yargs from 'yargs';
import { applyEnvOptions } from './commands/env-options.js';
import type { DefinedCommand } from './commands/define.js';
import { UsageError } from './errors.js';
import { packageVersion } from './package-root.js';

export async function parseWithYargs(argv: string[], commands: readonly DefinedCommand[]): Promise<void> {
  let parser = yargs(argv)
    .scriptName('bbm')
    .usage('$0 <command> [options]\n\nContinuous delivery for Buildbot and Marathon. Every option can also be set\nas an environment variable BBM_<OPTION> (e.g. --marathon-url → BBM_MARATHON_URL).')
    // BBM_<OPTION> for the running command's own options only (see env-options.ts for why not .env()).
    .middleware(((args: Record<string, unknown>, y: unknown) => {
      applyEnvOptions(args, (y as { getOptions(): Parameters<typeof applyEnvOptions>[1] }).getOptions(), argv, process.env);
    }) as never, true)
    .strict()
    .strictCommands()
    .demandCommand(1, 'Name a command; `bbm --help` lists them.')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(`${message}\nRun \`bbm --help\` for the commands and options.`);
    });
  for (const command of commands) parser = parser.command(command);
  await parser.help().alias('h', 'help').version(packageVersion()).parseAsync();
}
