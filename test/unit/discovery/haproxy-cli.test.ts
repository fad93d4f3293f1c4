import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = path.resolve(import.meta.dirname, '../../../dist/cli.js');
// Nothing listens on port 9 of 127.0.0.1: every case must fail before any request is sent.
const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'haproxy', '--marathon', 'http://127.0.0.1:9', '--out', '/tmp/bbm-never-written.cfg', ...args], { encoding: 'utf8' });

describe('bbm haproxy usage errors (exit 2, before any request)', () => {
  it.each([
    [['--bind', 'not-an-ip'], /--bind "not-an-ip" is not an IP address/],
    [['--run-haproxy'], /--run-haproxy needs --watch/],
    [['--watch', '--run-haproxy', '--reload-command', 'true'], /both given/],
    [['--health-port', '0'], /add --watch/],
    [['--http-port', '70000'], /--http-port 70000 is not a port/],
    [['--stall-timeout', '0', '--watch'], /--stall-timeout 0 must be a positive/],
    [['--reload-command', 'sh -c "reload; rm -rf /"'], /never run through a shell/],
    [['--reload-command', '["ok", 1]'], /non-empty array of non-empty strings/],
  ])('%j', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

});
