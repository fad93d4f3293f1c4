import { defineCommand } from './define.js';

interface TagArgs {
  project: string;
  'build-number': string;
  branch: string;
  cwd?: string;
  registry?: string;
  repository?: string;
  json?: boolean;
}

export const tagCommand = defineCommand<TagArgs>({
  name: 'tag',
  describe: 'Print the image tag <project>-<buildNumber>-<branch>-<git describe> for the checkout',
  options: {
    project: { type: 'string', demandOption: true, describe: 'Project name (first part of the tag; keeps its case)' },
    'build-number': { type: 'string', demandOption: true, describe: "Buildbot's build number" },
    branch: { type: 'string', demandOption: true, describe: 'Branch being built (never read from git: Buildbot checks out a detached HEAD)' },
    cwd: { type: 'string', describe: 'The git checkout (default: current directory)' },
    registry: { type: 'string', describe: 'Registry HOST[:PORT] for the image reference' },
    repository: { type: 'string', describe: 'Repository path (default: the project name lowercased)' },
    json: { type: 'boolean', describe: 'Print {tag,image,describe,stable,project,buildNumber,branch,commit} as JSON' },
  },
  examples: [
    ['$0 tag --project webApp --build-number 12 --branch main', 'prints e.g. webApp-12-main-v1.4-3-gabc1234'],
    ['$0 tag --project webApp --build-number 12 --branch main --registry 127.0.0.1:5000 --json', 'the tag, the full image reference and the git facts as JSON'],
  ],
  timed: true,
  run: async (args) => {
    const [{ runTag }, { cliContext }] = await Promise.all([import('../tag/run.js'), import('../cli-context.js')]);
    await runTag(
      { project: args.project, buildNumber: args['build-number'], branch: args.branch, registry: args.registry, repository: args.repository, json: args.json },
      cliContext(args.cwd),
    );
  },
});
