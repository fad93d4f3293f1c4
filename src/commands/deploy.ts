import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { marathonConnection, marathonOptions, type MarathonArgs } from './marathon-options.js';

interface DeployArgs extends MarathonArgs {
  app: string;
  image: string;
  timeout: number;
  force: boolean;
  rollback: boolean;
  'dry-run': boolean;
  strict: boolean;
  'keep-instances': boolean;
  follow: 'auto' | 'events' | 'poll';
  project?: string;
  'build-number'?: string | number;
  branch?: string;
  commit?: string;
  describe?: string;
  'build-url'?: string;
}

export const deployCommand: CommandModule<object, DeployArgs> = {
  command: 'deploy',
  describe: 'fill the app definition template, lint it, PUT it to Marathon and wait until the new version is healthy (or roll back)',
  builder: (y) =>
    marathonOptions(y)
      .option('app', { type: 'string', demandOption: true, describe: 'app definition template (JSON with ${image}, ${tag}, … placeholders)' })
      .option('image', { type: 'string', demandOption: true, describe: 'the image reference to run, e.g. 127.0.0.1:5000/web:web-12-main-abc' })
      .option('timeout', { type: 'number', default: 600, describe: 'seconds the deployment may take before it is cancelled and rolled back' })
      .option('force', { type: 'boolean', default: false, describe: 'cancel a deployment that holds the app instead of waiting for it' })
      .option('rollback', { type: 'boolean', default: true, describe: 'on failure or timeout, cancel the deployment so Marathon rolls back (--no-rollback leaves it)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the final definition and the lint result; send nothing' })
      .option('strict', { type: 'boolean', default: false, describe: 'treat lint warnings as errors' })
      .option('keep-instances', { type: 'boolean', default: false, describe: 'keep the running app’s instance count instead of the definition’s' })
      .option('follow', { choices: ['auto', 'events', 'poll'] as const, default: 'auto' as const, describe: 'how to follow the deployment: the event stream with polling as fallback (auto), or polling only' })
      .option('project', { type: 'string', describe: 'project name (label bbm.project, ${project})' })
      .option('build-number', { type: 'string', describe: 'Buildbot build number (label bbm.build-number, ${buildNumber})' })
      .option('branch', { type: 'string', describe: 'git branch (label bbm.branch, ${branch})' })
      .option('commit', { type: 'string', describe: 'git commit (label bbm.commit, ${commit})' })
      .option('describe', { type: 'string', describe: 'git describe output (label bbm.describe, ${describe})' })
      .option('build-url', { type: 'string', describe: 'Buildbot build URL (label bbm.build-url, ${buildUrl})' }) as never,
  handler: async (argv) => {
    if (!Number.isFinite(argv.timeout) || argv.timeout <= 0)
      throw new UsageError(`--timeout ${String(argv.timeout)}: must be a positive number of seconds`);
    const marathon = marathonConnection(argv);
    const { runDeploy } = await import('../deploy/run.js');
    const { cliContext } = await import('../cli-context.js');
    const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
    await runDeploy(
      {
        appFile: argv.app,
        facts: {
          image: argv.image,
          project: str(argv.project),
          buildNumber: str(argv['build-number']),
          branch: str(argv.branch),
          commit: str(argv.commit),
          describe: str(argv.describe),
          buildUrl: str(argv['build-url']),
        },
        marathon,
        timeoutSeconds: argv.timeout,
        force: argv.force,
        rollback: argv.rollback,
        dryRun: argv['dry-run'],
        strict: argv.strict,
        keepInstances: argv['keep-instances'],
        follow: argv.follow,
      },
      cliContext(),
    );
  },
};
