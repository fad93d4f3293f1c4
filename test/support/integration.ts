/**
 * Gates for tests that need a real component (Docker engine, registry, Buildbot, HAProxy, git).
 * Without the component a suite is skipped, and says so; with BBM_REQUIRE_INTEGRATION=1 (set by
 * .ci/run) a missing component fails the suite instead, so CI can never pass by skipping.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { request } from 'node:http';
import { describe, it } from 'vitest';
import { REFERENCE_FIX, SHARED_DIR } from './shared.js';

export const REGISTRY = process.env.BBM_TEST_REGISTRY ?? '127.0.0.1:5000';
export const BASE_IMAGE = process.env.BBM_TEST_BASE_IMAGE ?? 'bbm-test/busybox:latest';
/** Debian's Chromium, which playwright-core drives (no browser download). */
export const CHROMIUM = process.env.BBM_TEST_CHROMIUM ?? '/usr/bin/chromium';
/** Debian's Firefox ESR, driven over WebDriver BiDi (puppeteer-core, no browser download). */
export const FIREFOX = process.env.BBM_TEST_FIREFOX ?? '/usr/bin/firefox-esr';
export const DOCKER_SOCKET = process.env.BBM_TEST_DOCKER_SOCKET ?? '/var/run/docker.sock';

export type Component = { name: string; fix: string; probe: () => Promise<boolean> };

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 2000, socketPath: undefined }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function dockerPing(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: DOCKER_SOCKET, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function commandOk(file: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => execFile(file, args, { timeout: 10_000 }, (err) => resolve(!err)));
}

const setup = 'run `bash scripts/setup.sh` (as root) first';

export const components = {
  docker: { name: 'Docker engine', fix: setup, probe: dockerPing },
  registry: { name: `registry at ${REGISTRY}`, fix: setup, probe: () => httpOk(`http://${REGISTRY}/v2/`) },
  baseImage: {
    name: `base image ${BASE_IMAGE}`,
    fix: setup,
    probe: async () => (await dockerPing()) && commandOk('docker', ['image', 'inspect', BASE_IMAGE]),
  },
  git: { name: 'git', fix: 'apt-get install git', probe: () => commandOk('git', ['--version']) },
  haproxy: { name: 'HAProxy', fix: 'apt-get install haproxy', probe: () => commandOk('haproxy', ['-v']) },
  openssl: { name: 'openssl', fix: 'apt-get install openssl (scripts/setup.sh installs it)', probe: () => commandOk('openssl', ['version']) },
  compose: {
    name: 'docker-compose',
    fix: setup,
    probe: () => commandOk('docker-compose', ['version', '--short']),
  },
  localBases: {
    name: 'the locally made image bases bbm-local/debian:bookworm and bbm-local/node:20',
    fix: setup,
    probe: async () =>
      (await dockerPing()) &&
      (await commandOk('docker', ['image', 'inspect', 'bbm-local/debian:bookworm'])) &&
      (await commandOk('docker', ['image', 'inspect', 'bbm-local/node:20'])),
  },
  reference: {
    name: 'Marathon reference data (schema, recorded bodies, seed example)',
    fix: REFERENCE_FIX,
    probe: async () => SHARED_DIR !== undefined,
  },
  chromium: { name: `Chromium at ${CHROMIUM}`, fix: setup, probe: () => commandOk(CHROMIUM, ['--version']) },
  sshd: { name: 'OpenSSH server (/usr/sbin/sshd)', fix: setup, probe: () => access('/usr/sbin/sshd', constants.X_OK).then(() => true, () => false) },
  firefox: { name: `Firefox ESR at ${FIREFOX}`, fix: setup, probe: () => commandOk(FIREFOX, ['--version']) },
  buildbot: {
    name: 'Buildbot master and worker (Debian packages)',
    fix: 'apt-get install buildbot buildbot-worker',
    probe: async () =>
      (await access('/usr/bin/buildbot', constants.X_OK).then(() => true, () => false)) &&
      (await access('/usr/bin/buildbot-worker', constants.X_OK).then(() => true, () => false)),
  },
} satisfies Record<string, Component>;

export const integrationRequired = process.env.BBM_REQUIRE_INTEGRATION === '1';

/**
 * `const d = await describeWith([components.docker]); d('suite', () => …)`.
 * Returns vitest's describe when everything is there, describe.skip otherwise, or, when
 * integration is required, a describe whose only test fails naming what is missing and the fix.
 */
export type Suite = (name: string, body: () => void) => void;

export async function describeWith(needed: Component[]): Promise<Suite> {
  const missing: Component[] = [];
  for (const c of needed) if (!(await c.probe())) missing.push(c);
  if (missing.length === 0) return (name, body) => describe(name, body);
  const why = missing.map((c) => `${c.name} is not available (${c.fix})`).join('; ');
  if (!integrationRequired) {
    process.stderr.write(`skipping integration suite: ${why}\n`);
    return (name, body) => describe.skip(name, body);
  }
  return (name) =>
    describe(name, () => {
      it('has the real components it needs', () => {
        throw new Error(`BBM_REQUIRE_INTEGRATION=1 and ${why}`);
      });
    });
}

/**
 * One test gated on components, for a suite that runs without them except for this check
 * (e.g. Marathon's schema, from the reference data): `const itRef = await itWith([components.reference])`.
 * Skips that test alone, saying why; under BBM_REQUIRE_INTEGRATION=1 the test fails naming what is missing.
 */
export async function itWith(needed: Component[]): Promise<(name: string, body: () => unknown) => void> {
  const missing: Component[] = [];
  for (const c of needed) if (!(await c.probe())) missing.push(c);
  if (missing.length === 0) return (name, body) => it(name, body);
  const why = missing.map((c) => `${c.name} is not available (${c.fix})`).join('; ');
  if (!integrationRequired) {
    return (name, body) => {
      process.stderr.write(`skipping test "${name}": ${why}\n`);
      it.skip(name, body);
    };
  }
  return (name) =>
    it(name, () => {
      throw new Error(`BBM_REQUIRE_INTEGRATION=1 and ${why}`);
    });
}
