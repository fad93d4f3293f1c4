import { defineCommand } from './define.js';
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
  environment?: string;
  'app-id'?: string;
  instances?: number;
  cpus?: number;
  mem?: number;
  disk?: number;
  label?: string[];
}

export const deployCommand = defineCommand<DeployArgs>({
  name: 'deploy',
  describe: 'fill the app definition template, lint it, PUT it to Marathon and wait until the new version is healthy (or roll back)',
  options: {
    ...marathonOptions,
    app: { type: 'string', demandOption: true, describe: 'app definition template (JSON with ${image}, ${tag}, … placeholders)' },
    image: { type: 'string', demandOption: true, describe: 'the image reference to run, e.g. 127.0.0.1:5000/web:web-12-main-abc' },
    timeout: { type: 'number', default: 600, valid: { positive: 'seconds' }, describe: 'seconds the deployment may take before it is cancelled and rolled back' },
    force: { type: 'boolean', default: false, describe: 'cancel a deployment that holds the app instead of waiting for it' },
    rollback: { type: 'boolean', default: true, describe: 'on failure or timeout, cancel the deployment so Marathon rolls back (--no-rollback leaves it)' },
    'dry-run': { type: 'boolean', default: false, describe: 'print the final definition and the lint result; send nothing' },
    strict: { type: 'boolean', default: false, describe: 'treat lint warnings as errors' },
    'keep-instances': { type: 'boolean', default: false, describe: 'keep the running app’s instance count instead of the definition’s' },
    follow: { choices: ['auto', 'events', 'poll'], default: 'auto', describe: 'how to follow the deployment: the event stream with polling as fallback (auto), or polling only' },
    project: { type: 'string', describe: 'project name (label bbm.project, ${project})' },
    'build-number': { type: 'string', describe: 'Buildbot build number (label bbm.build-number, ${buildNumber})' },
    branch: { type: 'string', describe: 'git branch (label bbm.branch, ${branch})' },
    commit: { type: 'string', describe: 'git commit (label bbm.commit, ${commit})' },
    describe: { type: 'string', describe: 'git describe output (label bbm.describe, ${describe})' },
    'build-url': { type: 'string', describe: 'Buildbot build URL (label bbm.build-url, ${buildUrl})' },
    environment: { type: 'string', describe: 'environment deployed to (label bbm.environment, ${env})' },
    'app-id': { type: 'string', describe: 'app id to deploy as, instead of the template’s (the environment’s app id)' },
    instances: { type: 'number', valid: { whole: [0, 100000] }, describe: 'instances, instead of the template’s' },
    cpus: { type: 'number', valid: { positive: 'cpus' }, describe: 'cpus, instead of the template’s' },
    mem: { type: 'number', valid: { positive: 'MiB' }, describe: 'memory (MiB), instead of the template’s' },
    disk: { type: 'number', valid: { nonNegative: 'MiB' }, describe: 'disk (MiB), instead of the template’s' },
    label: { type: 'string', array: true, describe: 'K=V added to the app’s labels (repeatable)' },
  },
  examples: [
    ['$0 deploy --app marathon.json --image 127.0.0.1:5000/web:web-12-main-v1.4 --marathon-url http://127.0.0.1:8080', 'deploy and wait up to 600 s; roll back on failure'],
    ['$0 deploy --app marathon.json --image web:1 --dry-run', 'print the filled definition and the lint result, send nothing'],
    ['$0 deploy --app marathon.json --image r:5000/web:7 --environment staging --app-id /staging/web --instances 1', 'the per-environment values the generated deploy step passes'],
  ],
  timed: true,
  run: async (argv) => {
    const marathon = marathonConnection(argv);
    const [{ runDeploy }, { cliContext }, { parseOverrides }] = await Promise.all([import('../deploy/run.js'), import('../cli-context.js'), import('../deploy/overrides.js')]);
    const overrides = parseOverrides(argv);
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
          env: str(argv.environment),
        },
        overrides,
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
});
