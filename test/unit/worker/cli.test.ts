import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.js';

const cli = path.resolve(import.meta.dirname, '../../../dist/cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'bbm-worker-cli-'));
const pw = path.join(dir, 'pw');
writeFileSync(pw, 'secret-pw\n', { mode: 0o600 });
writeFileSync(path.join(dir, 'empty'), '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'worker', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });

describe('bbm worker: usage errors (exit 2, what to do)', () => {
  it.each([
    [['--name', 'w', '--password-file', pw], /Missing required argument: master/],
    [['--master', 'host', '--name', 'w', '--password-file', pw], /--master "host" is not HOST:PORT[\s\S]*hint: .*--master 127\.0\.0\.1:9990/],
    [['--master', 'h:1', '--name', 'w', '--password-file', path.join(dir, 'nope')], /cannot read --password-file/],
    [['--master', 'h:1', '--name', 'w', '--password-file', path.join(dir, 'empty')], /is empty/],
    [['--master', 'h:1', '--name', 'a:b', '--password-file', pw], /must not be empty or contain ':'/],
    [['--master', 'h:1', '--name', 'w', '--password-file', pw, '--keepalive', '-1'], /--keepalive -1 must be ≥ 0 seconds/],
    [['--master', 'h:1', '--name', 'w', '--password-file', pw, '--pass-env', 'API_TOKEN'], /refusing a variable whose name looks secret/],
  ])('%j', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it('keeps retrying an unreachable master, and stops on SIGTERM (exit 143, as every bbm command)', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [cli, 'worker', '--master', `127.0.0.1:${port}`, '--name', 'w', '--password-file', pw, '--basedir', path.join(dir, 'base')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!/retrying in/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(err).toMatch(/ECONNREFUSED[\s\S]*retrying in \d/);
    const code = new Promise((resolve) => child.once('exit', (c) => resolve(c)));
    child.kill('SIGTERM');
    expect(await code).toBe(143);
    expect(err).not.toContain('secret-pw');
  });
});
