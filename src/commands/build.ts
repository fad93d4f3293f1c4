import type { CommandModule } from 'yargs';
import { withEnv } from './env-options.js';

interface BuildArgs {
  image: string;
  cwd?: string;
  dockerfile?: string;
  'build-arg'?: string[];
  label?: string[];
  network?: string;
  pull?: boolean;
  revision?: string;
  'image-version'?: string;
  source?: string;
  'build-number'?: string;
  branch?: string;
}

export const buildCommand: CommandModule<object, BuildArgs> = {
  command: 'build',
  describe: 'Build the image from the project folder with the Docker engine (prints the image id)',
  builder: (y) =>
    y
      .option('image', withEnv('image', { type: 'string', demandOption: true, describe: 'Image reference to tag the build with, [REGISTRY/]REPOSITORY[:TAG]' }))
      .option('cwd', withEnv('cwd', { type: 'string', describe: 'Build context folder (default: current directory); .dockerignore is honoured' }))
      .option('dockerfile', withEnv('dockerfile', { type: 'string', describe: 'Dockerfile path relative to --cwd (default: Dockerfile)' }))
      .option('build-arg', withEnv('build-arg', { type: 'string', array: true, describe: 'Build argument K=V, or K to take the value from the environment (keeps secrets out of argv); repeatable' }))
      .option('label', withEnv('label', { type: 'string', array: true, describe: 'Extra image label K=V; repeatable' }))
      .option('network', withEnv('network', { type: 'string', describe: 'Network for RUN steps (e.g. host, none)' }))
      .option('pull', withEnv('pull', { type: 'boolean', describe: 'Always try to pull a newer base image' }))
      .option('revision', withEnv('revision', { type: 'string', describe: 'org.opencontainers.image.revision (default: git HEAD of --cwd)' }))
      .option('image-version', withEnv('image-version', { type: 'string', describe: 'org.opencontainers.image.version (e.g. the tag from bbm tag)' }))
      .option('source', withEnv('source', { type: 'string', describe: 'org.opencontainers.image.source (default: git origin URL without credentials)' }))
      .option('build-number', withEnv('build-number', { type: 'string', describe: 'Buildbot build number, label buildbot-marathon.build-number' }))
      .option('branch', withEnv('branch', { type: 'string', describe: 'Branch, label buildbot-marathon.branch' })) as never,
  handler: async (args) => {
    const [{ runBuild }, { cliContext }] = await Promise.all([import('../build/run.js'), import('../cli-context.js')]);
    await runBuild(
      {
        image: args.image,
        dockerfile: args.dockerfile,
        buildArgs: args['build-arg'],
        labels: args.label,
        network: args.network,
        pull: args.pull,
        revision: args.revision,
        version: args['image-version'],
        source: args.source,
        buildNumber: args['build-number'],
        branch: args.branch,
      },
      cliContext(args.cwd),
    );
  },
};
