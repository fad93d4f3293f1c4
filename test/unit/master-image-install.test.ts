/**
 * What the master image installs on each path (buildbot/master.Dockerfile, buildbot/master/install.sh):
 * the production default is Buildbot 4.3.0 from PyPI with every dependency pinned to Buildbot's own
 * CI versions, and install.sh installs from PyPI only with such pins. The production image itself
 * cannot be built here (PyPI is unreachable); these checks read the files and run install.sh only
 * as far as its refusals, which come before it installs anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');

function pins(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_.-]+)==([^\s;#]+)/.exec(line.trim());
    if (m) out.set(m[1]!.toLowerCase().replace(/_/g, '-'), m[2]!);
  }
  return out;
}

describe('the master image: what each path installs', () => {
  it('defaults to Buildbot 4.3.0 from PyPI on python:3.11-slim-bookworm', () => {
    const dockerfile = read('buildbot/master.Dockerfile');
    expect(dockerfile).toMatch(/^ARG BASE=python:3\.11-slim-bookworm$/m);
    expect(dockerfile).toMatch(/^ARG BUILDBOT_SOURCE=pip$/m);
    expect(dockerfile).toMatch(/^ARG BUILDBOT_VERSION=4\.3\.0$/m);
    const compose = read('docker-compose.yml');
    expect(compose).toContain('BASE: ${BBM_MASTER_BASE:-python:3.11-slim-bookworm}');
    expect(compose).toContain('BUILDBOT_SOURCE: ${BBM_BUILDBOT_SOURCE:-pip}');
  });

  it.each([
    ['twisted', '24.11.0'],
    ['sqlalchemy', '2.0.36'],
    ['alembic', '1.14.0'],
  ])('constraints-4.3.0.txt pins %s==%s (Buildbot 4.3.0 requirements-ci.txt)', (name, version) => {
    expect(pins(read('buildbot/master/constraints-4.3.0.txt')).get(name)).toBe(version);
  });

  it('installs buildbot[bundle] and psycopg2-binary from PyPI only through the constraints file; Debian path: Debian packages', () => {
    const install = read('buildbot/master/install.sh');
    expect(install).toContain('pip install --no-cache-dir -c "$constraints" "buildbot[bundle]==$version" psycopg2-binary');
    expect(install).toContain('apt_install buildbot python3-psycopg2 git ca-certificates');
  });

  it.each([
    [{ BUILDBOT_SOURCE: 'pip', BUILDBOT_VERSION: '3.7.0' }, /no pinned dependency versions for Buildbot 3\.7\.0 .*use BUILDBOT_VERSION=4\.3\.0/],
    [{ BUILDBOT_SOURCE: 'conda' }, /BUILDBOT_SOURCE must be auto, pip or debian, not 'conda'/],
  ])('install.sh refuses %j before installing anything (exit 2)', (env, message) => {
    // A PATH with dirname only: neither apt-get nor pip could run, whatever the script did.
    const bin = mkdtempSync(path.join(tmpdir(), 'bbm-install-path-'));
    symlinkSync(spawnSync('/bin/sh', ['-c', 'command -v dirname'], { encoding: 'utf8' }).stdout.trim(), path.join(bin, 'dirname'));
    const r = spawnSync('/bin/sh', [path.join(ROOT, 'buildbot/master/install.sh')], { env: { PATH: bin, ...env }, encoding: 'utf8' });
    rmSync(bin, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
