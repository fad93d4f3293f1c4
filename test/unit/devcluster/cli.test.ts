/** `bbm devcluster` argument and start-up errors (no Docker needed): exit codes and what to do. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = path.resolve(import.meta.dirname, '../../../dist/cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'bbm-dc-cli-'));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, 'devcluster', '--port', '0', '--state-dir', dir, ...args], { encoding: 'utf8', timeout: 60_000 });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bbm devcluster start-up errors', () => {
  it.each([
    [['--host-port-range', '32000'], 2, /--host-port-range "32000" is not a port range/],
    [['--host-port-range', '40000-30000'], 2, /not a valid port range/],
    [['--name', 'a b;rm'], 2, /not a valid cluster name/],
    [['--pull', 'sometimes'], 2, /Invalid values/],
    [['--docker-socket', path.join(dir, 'no-such.sock')], 3, /cannot reach the Docker engine/],
  ])('%j → exit %d', (args, code, message) => {
    const r = run(...args);
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('refuses a state file that is not its own, naming it', () => {
    writeFileSync(path.join(dir, 'state.json'), '{"apps":');
    const r = run('--docker-socket', path.join(dir, 'no-such.sock'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/state\.json is not valid JSON/);
    rmSync(path.join(dir, 'state.json'));
  });
});
