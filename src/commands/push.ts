import type { CommandModule } from 'yargs';
import { withEnv } from './env-options.js';

interface PushArgs {
  image: string;
  json?: boolean;
  'credentials-file'?: string;
  retries?: number;
  'retry-delay-ms'?: number;
}

export const pushCommand: CommandModule<object, PushArgs> = {
  command: 'push',
  describe: 'Push the image to its registry; the last line of output is the pushed digest (sha256:…)',
  builder: (y) =>
    y
      .option('image', withEnv('image', { type: 'string', demandOption: true, describe: 'Image reference to push, REGISTRY[:PORT]/REPOSITORY:TAG' }))
      .option('json', withEnv('json', { type: 'boolean', describe: 'Print {"image","digest"} as JSON' }))
      .option('credentials-file', withEnv('credentials-file', {
        type: 'string',
        describe:
          'Registry credentials: a docker config.json or one line USER:PASSWORD. Otherwise BBM_REGISTRY_USER + BBM_REGISTRY_PASSWORD, then $DOCKER_CONFIG/config.json or ~/.docker/config.json',
      }))
      .option('retries', withEnv('retries', { type: 'number', describe: 'Retries of transient failures (connection refused/reset, 5xx) before exit 3 (default 4)' }))
      .option('retry-delay-ms', withEnv('retry-delay-ms', { type: 'number', describe: 'First retry delay in ms, doubling each retry, capped at 30 s (default 1000)' })) as never,
  handler: async (args) => {
    const [{ runPush }, { cliContext }] = await Promise.all([import('../push/run.js'), import('../cli-context.js')]);
    await runPush(
      { image: args.image, json: args.json, credentialsFile: args['credentials-file'], retries: args.retries, retryDelayMs: args['retry-delay-ms'] },
      cliContext(),
    );
  },
};
