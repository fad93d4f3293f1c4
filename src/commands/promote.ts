import { UsageError } from '../errors.js';
import { defineCommand } from './define.js';

interface PromoteArgs {
  project: string;
  to: string;
  from?: string;
  build?: string | number;
  'allow-unverified': boolean;
  targets?: string;
  config?: string;
  app?: string;
  image?: string;
  'resolve-only': boolean;
  'promotion-url'?: string;
  'registry-credentials-file'?: string;
  'marathon-ca-file'?: string;
  timeout: number;
  force: boolean;
  rollback: boolean;
  follow: 'auto' | 'events' | 'poll';
}

export const promoteCommand = defineCommand<PromoteArgs>({
  name: 'promote',
  describe: 'deploy the exact image (by registry digest) that runs healthy in one environment to the next, gated and rolled back like bbm deploy',
  options: {
    project: { type: 'string', demandOption: true, describe: 'project name in the config' },
    to: { type: 'string', demandOption: true, describe: 'environment to promote into (one with promoteFrom)' },
    from: { type: 'string', describe: 'source environment (default: the target’s promoteFrom; must match it)' },
    build: { type: 'string', describe: 'promote build N as it ran healthy in the source (default: what runs healthy there now)' },
    'allow-unverified': { type: 'boolean', default: false, describe: 'with --build: promote build N even if nothing records that it ran healthy in the source (label bbm.promoted-unverified)' },
    config: { type: 'string', describe: 'config file (default: ci.config.ts, .mts or .json in the working directory)' },
    targets: { type: 'string', describe: 'deploy targets JSON written by the generated promote builder, instead of --config' },
    app: { type: 'string', describe: 'app definition template (default: the project’s deploy.app)' },
    image: { type: 'string', describe: 'promote only if the source still runs this image' },
    'resolve-only': { type: 'boolean', default: false, describe: 'print what would be promoted as JSON and stop' },
    'promotion-url': { type: 'string', describe: 'URL of the build that promotes (label bbm.promotion-url)' },
    'registry-credentials-file': { type: 'string', describe: 'registry login as for bbm push --credentials-file (or BBM_REGISTRY_USER/PASSWORD, docker login)' },
    'marathon-ca-file': { type: 'string', describe: 'PEM file with the CA of the Marathons’ TLS certificates' },
    timeout: { type: 'number', default: 600, valid: { positive: 'seconds' }, describe: 'seconds the promotion may take before the target’s deployment is cancelled and rolled back' },
    force: { type: 'boolean', default: false, describe: 'cancel a deployment that holds the target app instead of waiting for it' },
    rollback: { type: 'boolean', default: true, describe: 'on failure, roll the target back (--no-rollback leaves it)' },
    follow: { choices: ['auto', 'events', 'poll'], default: 'auto', describe: 'how to follow the deployment' },
  },
  examples: [
    ['$0 promote --project hello --from staging --to production', 'what runs healthy in staging, pinned by digest, to production'],
    ['$0 promote --project hello --to production --build 42', 'build 42 as it ran healthy in staging'],
  ],
  timed: true,
  run: async (argv) => {
    if (argv.targets && argv.config) throw new UsageError('give --targets or --config, not both');
    if (argv['allow-unverified'] && (argv.build === undefined || argv.build === ''))
      throw new UsageError('--allow-unverified applies to --build N only', { hint: 'without --build, bbm promote takes what runs healthy in the source now; it is never unverified' });
    if (argv.build !== undefined && argv.build !== '' && !/^\d{1,9}$/.test(String(argv.build)))
      throw new UsageError(`--build ${JSON.stringify(String(argv.build))} is not a build number`, { hint: 'give the number of a build that deployed to the source environment, e.g. --build 42' });
    const [{ runPromote }, { cliContext }] = await Promise.all([import('../promote/run.js'), import('../cli-context.js')]);
    await runPromote(
      {
        project: argv.project,
        to: argv.to,
        from: argv.from,
        build: argv.build === undefined || argv.build === '' ? undefined : String(argv.build),
        allowUnverified: argv['allow-unverified'],
        targets: argv.targets,
        config: argv.config,
        app: argv.app,
        image: argv.image || undefined,
        resolveOnly: argv['resolve-only'],
        promotionUrl: argv['promotion-url'],
        registryCredentialsFile: argv['registry-credentials-file'],
        caFile: argv['marathon-ca-file'],
        timeoutSeconds: argv.timeout,
        force: argv.force,
        rollback: argv.rollback,
        follow: argv.follow,
      },
      cliContext(),
    );
  },
});
