/**
 * The worker info the master asks for on every connection (`get_worker_info`; buildbot-worker's
 * base.py remote_getWorkerInfo): files in BASEDIR/info (admin, host, access_uri…), os-release
 * fields, the environment steps get (never the worker's own), and the commands it runs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Env } from './environment.js';
import { COMMAND_VERSION, COMMANDS } from './commands/index.js';

export interface InfoInput {
  basedir: string;
  env: Env;
  version: string;
  /** Given on the command line; override BASEDIR/info files. */
  admin?: string;
  host?: string;
  deleteLeftoverDirs: boolean;
  osReleaseFile?: string;
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line || line.startsWith('#') || !line.includes('=')) continue;
    const i = line.indexOf('=');
    const value = line.slice(i + 1);
    if (value) out[`os_${line.slice(0, i).toLowerCase()}`] = value.replace(/^"+|"+$/g, '');
  }
  return out;
}

export function workerInfo(input: InfoInput): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  const dir = path.join(input.basedir, 'info');
  try {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isFile()) info[name] = readFileSync(file, 'utf8');
    }
  } catch {
    // no info folder: nothing to add
  }
  try {
    Object.assign(info, parseOsRelease(readFileSync(input.osReleaseFile ?? '/etc/os-release', 'utf8')));
  } catch {
    // no os-release
  }
  if (input.admin !== undefined) info.admin = input.admin;
  if (input.host !== undefined) info.host = input.host;
  info.environ = { ...input.env };
  info.system = 'posix';
  info.basedir = input.basedir;
  info.numcpus = availableParallelism();
  info.version = input.version;
  info.worker_commands = Object.fromEntries(Object.keys(COMMANDS).map((n) => [n, COMMAND_VERSION]));
  info.delete_leftover_dirs = input.deleteLeftoverDirs;
  return info;
}
