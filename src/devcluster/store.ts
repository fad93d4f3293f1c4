/**
 * The devcluster's persistent state: apps (current definition and every stored version),
 * running deployments and the last task failure of each app, in one JSON file written atomically
 * (temp file + rename), so a restart picks up exactly where the engine stopped.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OperationFailedError } from '../errors.js';
import type { TaskFailure } from '../marathon/types.js';
import type { ResolvedApp } from './app.js';

export type ActionName = 'StartApplication' | 'StopApplication' | 'ScaleApplication' | 'RestartApplication';

export interface DeploymentRecord {
  id: string;
  version: string;
  appId: string;
  action: ActionName;
  /** The app before the deployment (null when it creates the app). */
  original: ResolvedApp | null;
  /** The app the deployment converges to (null when it deletes the app). */
  target: ResolvedApp | null;
}

export interface AppRecord {
  current: ResolvedApp;
  /** Every stored version, oldest first (at most MAX_VERSIONS). */
  versions: ResolvedApp[];
  lastTaskFailure?: TaskFailure;
}

export interface State {
  format: 1;
  /**
   * This state folder's identity, on every container it starts (label bbm.devcluster.state): the
   * engine owns exactly those. Made when the folder is new; absent in files written before it existed.
   */
  stateId?: string;
  apps: Record<string, AppRecord>;
  deployments: DeploymentRecord[];
}

export const MAX_VERSIONS = 50;

export class StateStore {
  private readonly file: string;
  private writing: Promise<void> = Promise.resolve();
  state: State = { format: 1, apps: {}, deployments: [] };
  /** The file predates state ids: its containers carry none and are still its own. */
  legacy = false;

  constructor(dir: string) {
    this.file = path.join(dir, 'state.json');
  }

  async load(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.state.stateId = randomUUID();
        return;
      }
      throw e;
    }
    let parsed: State;
    try {
      parsed = JSON.parse(text) as State;
    } catch (e) {
      throw new OperationFailedError(`${this.file} is not valid JSON (${(e as Error).message})`, {
        hint: 'it is the devcluster state; move it away to start with no apps (running task containers are then removed)',
      });
    }
    if (parsed.format !== 1 || typeof parsed.apps !== 'object' || !Array.isArray(parsed.deployments))
      throw new OperationFailedError(`${this.file}: not a devcluster state file (format ${String(parsed.format)})`, { hint: 'point --state-dir at a folder of its own' });
    this.state = parsed;
    if (typeof parsed.stateId !== 'string') {
      this.legacy = true;
      this.state.stateId = randomUUID();
    }
  }

  get stateId(): string {
    return this.state.stateId ?? '';
  }

  get dir(): string {
    return path.dirname(this.file);
  }

  /** Queues a write of the current state; resolves when it is on disk. */
  save(): Promise<void> {
    const snapshot = JSON.stringify(this.state);
    this.writing = this.writing.then(async () => {
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, snapshot);
      await rename(tmp, this.file);
    });
    return this.writing;
  }

  async flush(): Promise<void> {
    await this.writing;
  }
}
