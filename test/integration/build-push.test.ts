/**
 * bbm build and bbm push against the real Docker engine and registry on 127.0.0.1, plus a second
 * registry with htpasswd auth started here for the credential cases.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRepo, tempDir } from '../support/git-repo.js';
import { BASE_IMAGE, REGISTRY, components, describeWith } from '../support/integration.js';
import { flakyProxy } from '../support/flaky-proxy.js';
import { expectTimingLine } from '../support/timing.js';
import { bbm, freePort, waitFor } from '../support/processes.js';

const run = `${process.pid}-${Date.now().toString(36)}`;
const repository = `bbm-test/build-push-${run}`;
const images: string[] = [];
const dirs: string[] = [];
/** Manifest URLs this run pushed to the shared registry, deleted afterwards. */
const pushed: string[] = [];

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A small project: Dockerfile FROM the local base image, a .dockerignore, a git checkout with a tag. */
function fixtureProject(dockerfile: string): string {
  const dir = tempDir('bbm-build-');
  dirs.push(dir);
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  writeFileSync(path.join(dir, '.dockerignore'), 'secret.txt\nnode_modules\n');
  writeFileSync(path.join(dir, 'app.txt'), 'hello from the app\n');
  writeFileSync(path.join(dir, 'secret.txt'), 'must not reach the engine\n');
  mkdirSync(path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'node_modules', 'big.js'), '//\n');
  const repo = openRepo(dir);
  repo.git('init', '-q', '-b', 'main');
  repo.git('remote', 'add', 'origin', 'https://ci-user:ci-token@git.example.invalid/team/webapp.git');
  repo.git('add', '-A');
  repo.git('commit', '-q', '-m', 'fixture');
  repo.git('tag', '0.5.20');
  return dir;
}

async function manifestDigest(registry: string, repo: string, tag: string): Promise<string | null> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: 'GET',
    headers: {
      Accept: [
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
      ].join(', '),
    },
  });
  await res.arrayBuffer();
  return res.status === 200 ? res.headers.get('docker-content-digest') : null;
}

const d = await describeWith([components.docker, components.registry, components.baseImage, components.git]);

d('bbm build and bbm push with the real engine and registry', () => {
  let project: string;
  let image: string;
  let tag: string;

  beforeAll(async () => {
    project = fixtureProject(
      `FROM ${BASE_IMAGE}\nARG GREETING\nCOPY . /app\nRUN ls -a /app && echo "greeting=$GREETING" && echo "interfaces: $(ls /sys/class/net | tr '\\n' ' ')"\n`,
    );
    const t = await bbm(['tag', '--project', 'webApp', '--build-number', '42', '--branch', 'feature/Foo_bar', '--registry', REGISTRY, '--repository', repository, '--json'], { cwd: project });
    expect(t.status, t.stderr).toBe(0);
    ({ image, tag } = JSON.parse(t.stdout) as { image: string; tag: string });
    images.push(image);
  });

  it('builds the fixture: context honours .dockerignore, build args from the environment, OCI labels', async () => {
    expect(tag).toBe('webApp-42-feature-Foo_bar-0.5.20');
    const r = await bbm(['build', '--image', image, '--build-arg', 'GREETING', '--network', 'none', '--build-number', '42', '--branch', 'feature/Foo_bar', '--image-version', tag], {
      cwd: project,
      env: { GREETING: 'hello-from-env' },
    });
    expect(r.status, r.stderr).toBe(0);
    const id = r.stdout.trim().split('\n').at(-1)!;
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.stderr).toMatch(/^Step 4\/\d+ : RUN ls -a \/app/m);
    expect(r.stderr).toContain('greeting=hello-from-env');
    expect(r.stderr).toMatch(/^interfaces: lo $/m); // --network none: no eth0 in RUN steps
    expect(r.stderr).toContain('app.txt');
    expect(r.stderr).not.toContain('secret.txt');
    expect(r.stderr).not.toMatch(/\u001b\[/); // plain lines for a Buildbot log
    expectTimingLine(r.stderr, 'build', ['docker build']);
    const inspected = JSON.parse(docker('image', 'inspect', image))[0] as { Id: string; Config: { Labels: Record<string, string> } };
    expect(inspected.Id).toBe(id);
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: project, encoding: 'utf8' }).trim();
    expect(inspected.Config.Labels).toMatchObject({
      'org.opencontainers.image.revision': commit,
      'org.opencontainers.image.version': tag,
      'org.opencontainers.image.source': 'https://git.example.invalid/team/webapp.git',
      'buildbot-marathon.build-number': '42',
      'buildbot-marathon.branch': 'feature/Foo_bar',
    });
    expect(inspected.Config.Labels['org.opencontainers.image.created']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(JSON.stringify(inspected.Config.Labels)).not.toContain('ci-token');
  });

  it('pushes: the last line is the digest the registry serves for the tag', async () => {
    const r = await bbm(['push', '--image', image]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const digest = lines.at(-1)!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await manifestDigest(REGISTRY, repository, tag)).toBe(digest);
    pushed.push(`http://${REGISTRY}/v2/${repository}/manifests/${digest}`);
    expectTimingLine(r.stderr, 'push', ['docker push']);

    const again = await bbm(['push', '--image', image, '--json']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ image, digest });
  });

  it('a registry answering 503 at first: retried with backoff, then pushed', async () => {
    const proxy = await flakyProxy(REGISTRY, 2);
    try {
      const target = `${proxy.address}/${repository}:${tag}`;
      docker('tag', image, target);
      images.push(target);
      const r = await bbm(['push', '--image', target, '--retries', '4', '--retry-delay-ms', '20']);
      expect(r.status, r.stderr).toBe(0);
      expect(proxy.failed()).toBe(2);
      expect(r.stderr, r.stderr).toMatch(/failed: .*503.*; retry 1 of 4/);
      expect(r.stderr).toMatch(/retry 2 of 4/);
      expect(r.stderr).not.toMatch(/retry 3 of 4/);
      expect(r.stdout.trim().split('\n').at(-1)).toBe(await manifestDigest(REGISTRY, repository, tag));
    } finally {
      await proxy.close();
    }
  });

  it('an unreachable Docker engine exits 3 naming DOCKER_HOST', async () => {
    const socket = path.join(tempDir('bbm-nosock-'), 'docker.sock');
    const r = await bbm(['push', '--image', image, '--retries', '1', '--retry-delay-ms', '10'], { env: { DOCKER_HOST: `unix://${socket}` } });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`the Docker engine at unix://${socket} cannot be reached`);
    expect(r.stderr).toMatch(/hint: start dockerd/);
  });

  it('a missing Dockerfile exits 2 naming the path', async () => {
    const r = await bbm(['build', '--image', image, '--dockerfile', 'docker/Dockerfile.prod'], { cwd: project });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`no Dockerfile at ${path.join(project, 'docker/Dockerfile.prod')}`);
    expect(r.stderr).toMatch(/hint: check --dockerfile/);
  });

  it('a failing RUN exits 1 with Docker\'s message and the failing step', async () => {
    const broken = fixtureProject(`FROM ${BASE_IMAGE}\nRUN echo first step ${run}\nRUN echo about to fail && exit 3\nRUN echo never\n`);
    const failing = `${REGISTRY}/${repository}:broken`;
    const r = await bbm(['build', '--image', failing], { cwd: broken });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('about to fail');
    expect(r.stderr).toMatch(/error: docker build of .*:broken failed at Step 3\/\d+ : RUN echo about to fail && exit 3: .*returned a non-zero code: 3/);
    // The layers the failed build did commit are untagged images of ours: remove them afterwards
    // (only ids that follow a removed RUN container, never the base image's id).
    for (const m of r.stderr.matchAll(/Removing intermediate container \w+\n ---> ([0-9a-f]{12})/g)) images.push(m[1]!);
  });

  it('an invalid image reference exits 2 before anything is sent', async () => {
    for (const [command, ref] of [['build', 'Upper/Case:1'], ['push', 'x:-dash']] as const) {
      const r = await bbm([command, '--image', ref], { cwd: project });
      expect(r.status, `${command} ${ref}`).toBe(2);
      expect(r.stderr).toContain(`--image ${JSON.stringify(ref)} is not a valid image reference`);
    }
  });

  it('an unreachable registry exits 3 after the bounded retries', async () => {
    const port = await freePort(); // closed again: nothing listens there
    const target = `127.0.0.1:${port}/${repository}:${tag}`;
    docker('tag', image, target);
    images.push(target);
    const r = await bbm(['push', '--image', target, '--retries', '2', '--retry-delay-ms', '20']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/retry 1 of 2/);
    expect(r.stderr).toMatch(/retry 2 of 2/);
    expect(r.stderr).toMatch(new RegExp(`could not push .* to 127\\.0\\.0\\.1:${port} after 3 attempts: .*connection refused`));
    expect(r.stdout).toBe('');
  });
});

d('bbm push with credentials (a registry with htpasswd auth)', () => {
  let registry: ChildProcess | undefined;
  let address = '';
  let image = '';
  const password = `pw-${run}-s3cret`;
  let stateDir = '';

  beforeAll(async () => {
    stateDir = tempDir('bbm-authreg-');
    dirs.push(stateDir);
    const htpasswd = execFileSync('htpasswd', ['-Bbn', 'alice', password], { encoding: 'utf8' });
    writeFileSync(path.join(stateDir, 'htpasswd'), htpasswd);
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    writeFileSync(
      path.join(stateDir, 'config.yml'),
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${path.join(stateDir, 'data')}`,
        'http:',
        `  addr: ${address}`,
        'auth:',
        '  htpasswd:',
        '    realm: bbm-test',
        `    path: ${path.join(stateDir, 'htpasswd')}`,
        '',
      ].join('\n'),
    );
    registry = spawn('docker-registry', ['serve', path.join(stateDir, 'config.yml')], { stdio: 'ignore' });
    await waitFor(`registry with auth on ${address}`, async () => {
      const res = await fetch(`http://${address}/v2/`);
      return res.status === 401 ? true : undefined;
    });
    image = `${address}/${repository}:auth`;
    docker('tag', BASE_IMAGE, image);
    images.push(image);
  });

  afterAll(() => {
    registry?.kill('SIGTERM');
  });

  it('wrong credentials exit 2 at once (no retries), naming the source, never printing the password', async () => {
    const creds = path.join(stateDir, 'wrong.txt');
    writeFileSync(creds, 'alice:not-the-password\n', { mode: 0o600 });
    const r = await bbm(['push', '--image', image, '--credentials-file', creds, '--retries', '3', '--retry-delay-ms', '20']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${address.replace(/\./g, '\\.')} refused the push .*unauthorized`));
    expect(r.stderr).toContain(`from ${creds}`);
    expect(r.stderr).not.toMatch(/retry/);
    expect(r.stdout + r.stderr).not.toContain('not-the-password');
  });

  it('no credentials: exit 2 saying where it looked', async () => {
    const r = await bbm(['push', '--image', image, '--retries', '0'], { env: { HOME: stateDir, DOCKER_CONFIG: undefined } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no credentials found; looked in --credentials-file, BBM_REGISTRY_USER\/BBM_REGISTRY_PASSWORD/);
  });

  it('right credentials from a config.json (base64 auth), DOCKER_CONFIG, the environment and a credential helper push the image', async () => {
    const configDir = path.join(stateDir, 'docker-config');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      path.join(configDir, 'config.json'),
      JSON.stringify({ auths: { [`http://${address}`]: { auth: Buffer.from(`alice:${password}`).toString('base64') } } }),
      { mode: 0o600 },
    );
    const viaFile = await bbm(['push', '--image', image, '--credentials-file', path.join(configDir, 'config.json')]);
    expect(viaFile.status, viaFile.stderr).toBe(0);
    const digest = viaFile.stdout.trim().split('\n').at(-1)!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const viaDockerConfig = await bbm(['push', '--image', image], { env: { DOCKER_CONFIG: configDir } });
    expect(viaDockerConfig.status, viaDockerConfig.stderr).toBe(0);
    expect(viaDockerConfig.stderr).toContain(`credentials from ${path.join(configDir, 'config.json')}`);

    const viaEnv = await bbm(['push', '--image', image, '--json'], { env: { BBM_REGISTRY_USER: 'alice', BBM_REGISTRY_PASSWORD: password, DOCKER_CONFIG: stateDir } });
    expect(viaEnv.status, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toEqual({ image, digest });
    for (const out of [viaFile, viaDockerConfig, viaEnv]) expect(out.stdout + out.stderr).not.toContain(password);

    // A credential helper named in credHelpers: it gets the server on stdin, not in argv.
    const helperDir = path.join(stateDir, 'bin');
    mkdirSync(helperDir, { recursive: true });
    const seenArgs = path.join(stateDir, 'helper-args.txt');
    writeFileSync(
      path.join(helperDir, 'docker-credential-bbmtest'),
      `#!/bin/sh\necho "$@" > '${seenArgs}'\nread server\n[ "$server" = '${address}' ] || exit 1\nprintf '{"ServerURL":"%s","Username":"alice","Secret":"%s"}' "$server" '${password}'\n`,
      { mode: 0o700 },
    );
    const helperConfig = path.join(stateDir, 'helper-config');
    mkdirSync(helperConfig, { recursive: true });
    writeFileSync(path.join(helperConfig, 'config.json'), JSON.stringify({ credHelpers: { [address]: 'bbmtest' } }));
    const viaHelper = await bbm(['push', '--image', image], { env: { DOCKER_CONFIG: helperConfig, PATH: `${helperDir}:${process.env.PATH}` } });
    expect(viaHelper.status, viaHelper.stderr).toBe(0);
    expect(viaHelper.stderr).toContain('(docker-credential-bbmtest)');
    expect(viaHelper.stdout + viaHelper.stderr).not.toContain(password);
    expect(readFileSync(seenArgs, 'utf8').trim()).toBe('get');

    const res = await fetch(`http://${address}/v2/${repository}/manifests/auth`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`,
        Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
  });
});

afterAll(async () => {
  for (const i of images) {
    try {
      // Names are unique to this run (-f only untags when shared); bare ids are removed only if unused.
      docker('image', 'rm', ...(/^[0-9a-f]{12}$/.test(i) ? [] : ['-f']), i);
    } catch {
      // already gone
    }
  }
  for (const url of pushed) await fetch(url, { method: 'DELETE' }).then((r) => r.arrayBuffer(), () => undefined);
  const { rmSync } = await import('node:fs');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
