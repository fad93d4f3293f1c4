import type { CommandModule } from 'yargs';
import { withEnv } from './env-options.js';

interface TagArgs {
  project: string;
  'build-number': string;
  branch: string;
  cwd?: string;
  registry?: string;
  repository?: string;
  json?: boolean;
}

export const tagCommand: CommandModule<object, TagArgs> = {
  command: 'tag',
  describe: 'Print the image tag <project>-<buildNumber>-<branch>-<git describe> for the checkout',
  builder: (y) =>
    y
      .option('project', withEnv('project', { type: 'string', demandOption: true, describe: 'Project name (first part of the tag; keeps its case)' }))
      .option('build-number', withEnv('build-number', { type: 'string', demandOption: true, describe: "Buildbot's build number" }))
      .option('branch', withEnv('branch', { type: 'string', demandOption: true, describe: 'Branch being built (never read from git: Buildbot checks out a detached HEAD)' }))
      .option('cwd', withEnv('cwd', { type: 'string', describe: 'The git checkout (default: current directory)' }))
      .option('registry', withEnv('registry', { type: 'string', describe: 'Registry HOST[:PORT] for the image reference' }))
      .option('repository', withEnv('repository', { type: 'string', describe: 'Repository path (default: the project name lowercased)' }))
      .option('json', withEnv('json', { type: 'boolean', describe: 'Print {tag,image,describe,stable,project,buildNumber,branch,commit} as JSON' })) as never,
  handler: async (args) => {
    const [{ runTag }, { cliContext }] = await Promise.all([import('../tag/run.js'), import('../cli-context.js')]);
    await runTag(
      { project: args.project, buildNumber: args['build-number'], branch: args.branch, registry: args.registry, repository: args.repository, json: args.json },
      cliContext(args.cwd),
    );
  },
};
