// The repository's own config: the example project under examples/hello, built by one worker,
// pushed to the local registry and deployed to `bbm devcluster` (the embedded default Marathon).
// `generated/master.cfg` is its committed output: run `bbm generate` after changing this file
// (a unit test runs `bbm generate --check`, so a stale file fails CI). Reference: docs/configuration.md.
import { defineConfig } from 'buildbot-marathon';

export default defineConfig({
  // The stack's registry (docker-compose.yml); scripts/setup.sh's test registry keeps 5000.
  registry: '127.0.0.1:5001',
  marathon: { url: 'http://127.0.0.1:8080' },
  buildbot: {
    url: 'http://127.0.0.1:8010/',
    title: 'hello CD',
    // The compose stack's master on the local bases is Debian 12's Buildbot 3.7 (and CI runs it);
    // `BBM_BASES=public bash scripts/up.sh` generates for 4.3 with `bbm generate --buildbot-version 4.3`.
    version: '3.7',
    // The worker's password is the secret file `worker-worker-1` in secretsDir.
    workers: [{ name: 'worker-1', maxBuilds: 2, kind: 'bbm' }],
    www: {
      address: '127.0.0.1',
      port: 8010,
      // `user:password` lines, read by the master (keep it beside the secrets, mode 600).
      auth: { htpasswd: 'secrets/htpasswd' },
      roles: { admins: ['admin'] },
      allow: { force: ['admins'], stop: ['admins'], rebuild: ['admins'] },
    },
    // Relative paths are relative to the master's basedir.
    secretsDir: 'secrets',
    db: 'sqlite:///state.sqlite',
  },
  changeSources: { pollInterval: 10 },
  projects: [
    {
      name: 'hello',
      // The example's repository as the compose stack mounts it into the master and worker.
      repo: '/srv/git/hello.git',
      type: 'python',
      branches: ['master'],
      deploy: { branches: ['master'], app: 'marathon.json', appId: '/hello' },
      buildArgs: { BASE_IMAGE: 'bbm-test/busybox:latest' },
    },
  ],
});
