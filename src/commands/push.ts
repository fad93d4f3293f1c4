import { defineCommand } from './define.js';

interface PushArgs {
  image: string;
  json?: boolean;
  'credentials-file'?: string;
  retries?: number;
  'retry-delay-ms'?: number;
}

export const pushCommand = defineCommand<PushArgs>({
  name: 'push',
  describe: 'Push the image to its registry; the last line of output is the pushed digest (sha256:…)',
  options: {
    image: { type: 'string', demandOption: true, describe: 'Image reference to push, REGISTRY[:PORT]/REPOSITORY:TAG' },
    json: { type: 'boolean', describe: 'Print {"image","digest"} as JSON' },
    'credentials-file': {
      type: 'string',
      describe: 'Registry credentials: a docker config.json or one line USER:PASSWORD. Otherwise BBM_REGISTRY_USER + BBM_REGISTRY_PASSWORD, then $DOCKER_CONFIG/config.json or ~/.docker/config.json',
    },
    retries: { type: 'number', valid: { whole: [0, 20] }, describe: 'Retries of transient failures (connection refused/reset, 5xx) before exit 3 (default 4)' },
    'retry-delay-ms': { type: 'number', valid: { nonNegative: 'ms' }, describe: 'First retry delay in ms, doubling each retry, capped at 30 s (default 1000)' },
  },
  examples: [
    ['$0 push --image 127.0.0.1:5000/webapp:webApp-12-main-v1.4', 'push; the last line is the digest'],
    ['BBM_REGISTRY_USER=ci BBM_REGISTRY_PASSWORD=… $0 push --image registry.example.com/web:1 --json', 'with a login from the environment, {"image","digest"} on stdout'],
  ],
  timed: true,
  run: async (args) => {
    const [{ runPush }, { cliContext }] = await Promise.all([import('../image/push.js'), import('../cli-context.js')]);
    await runPush(
      { image: args.image, json: args.json, credentialsFile: args['credentials-file'], retries: args.retries, retryDelayMs: args['retry-delay-ms'] },
      cliContext(),
    );
  },
});
