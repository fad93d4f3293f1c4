import { defineCommand } from './define.js';

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

export const buildCommand = defineCommand<BuildArgs>({
  name: 'build',
  describe: 'Build the image from the project folder with the Docker engine (prints the image id)',
  options: {
    image: { type: 'string', demandOption: true, describe: 'Image reference to tag the build with, [REGISTRY/]REPOSITORY[:TAG]' },
    cwd: { type: 'string', describe: 'Build context folder (default: current directory); .dockerignore is honoured' },
    dockerfile: { type: 'string', describe: 'Dockerfile path relative to --cwd (default: Dockerfile)' },
    'build-arg': { type: 'string', array: true, describe: 'Build argument K=V, or K to take the value from the environment (keeps secrets out of argv); repeatable' },
    label: { type: 'string', array: true, describe: 'Extra image label K=V; repeatable' },
    network: { type: 'string', describe: 'Network for RUN steps (e.g. host, none)' },
    pull: { type: 'boolean', describe: 'Always try to pull a newer base image' },
    revision: { type: 'string', describe: 'org.opencontainers.image.revision (default: git HEAD of --cwd)' },
    'image-version': { type: 'string', describe: 'org.opencontainers.image.version (e.g. the tag from bbm tag)' },
    source: { type: 'string', describe: 'org.opencontainers.image.source (default: git origin URL without credentials)' },
    'build-number': { type: 'string', describe: 'Buildbot build number, label buildbot-marathon.build-number' },
    branch: { type: 'string', describe: 'Branch, label buildbot-marathon.branch' },
  },
  examples: [
    ['$0 build --image 127.0.0.1:5000/webapp:webApp-12-main-v1.4', 'build ./Dockerfile and tag the image'],
    ['NPM_TOKEN=… $0 build --image web:1 --build-arg NPM_TOKEN --label team=web', 'a build argument taken from the environment, an extra label'],
  ],
  timed: true,
  run: async (args) => {
    const [{ runBuild }, { cliContext }] = await Promise.all([import('../image/build.js'), import('../cli-context.js')]);
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
});
