import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('bbm entry', () => {
  it('exits 2 with the fix on an unknown command', () => {
    const r = run('no-such-command');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown (argument|command): no-such-command/);
    expect(r.stderr).toMatch(/bbm --help/);
  });

  it('exits 2 without a command', () => {
    expect(run().status).toBe(2);
  });

  it('prints help and exits 0', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/BBM_/);
  });
});
