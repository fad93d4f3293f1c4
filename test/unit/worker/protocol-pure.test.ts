import { describe, expect, it } from 'vitest';
import { parseMaster } from '../../../src/commands/worker.js';
import { parseOsRelease } from '../../../src/worker/info.js';
import { retryDelay } from '../../../src/worker/run.js';
import { UsageError } from '../../../src/errors.js';

describe('parseMaster', () => {
  it.each([
    ['127.0.0.1:9990', { host: '127.0.0.1', port: 9990 }],
    ['master.example.com:1', { host: 'master.example.com', port: 1 }],
    ['[::1]:9990', { host: '::1', port: 9990 }],
  ])('%s', (text, expected) => expect(parseMaster(text)).toEqual(expected));
  it.each([['127.0.0.1'], ['host:0'], ['host:65536'], [':9990'], ['ws://host:1']])('refuses %s', (text) => expect(() => parseMaster(text)).toThrow(UsageError));
});

describe('retryDelay (Twisted backoffPolicy)', () => {
  it.each([
    [0, 1],
    [1, 1.5],
    [2, 2.25],
    [20, 30],
  ])('attempt %i waits %f s before jitter', (attempt, delay) => expect(retryDelay(attempt, 30, 0)).toBeCloseTo(delay));
  it('adds up to a second of jitter', () => expect(retryDelay(0, 30, 0.5)).toBe(1.5));
});

describe('parseOsRelease', () => {
  it('reads key=value lines as os_<key>, without quotes, skipping comments and empty values', () => {
    expect(parseOsRelease('# c\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nEMPTY=\n\nID=debian\n')).toEqual({ os_name: 'Debian GNU/Linux', os_version_id: '12', os_id: 'debian' });
  });
});
