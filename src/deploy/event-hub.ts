/**
 * Keeps one /v2/events subscription open in the background for the length of a deploy: buffers
 * every event (so a deployment_success that arrives before the PUT's answer is not lost), wakes
 * waiters, reconnects a dropped stream a few times, and says when it gives up so the follower
 * falls back to polling.
 */
import type { MarathonClient } from '../marathon/client.js';
import type { MarathonEvent } from '../marathon/types.js';
import type { Reporter } from '../reporter.js';
import { sleep } from '../sleep.js';

/** down: dropped, reconnecting; unavailable: given up, the follower polls. */
export type HubState = 'connecting' | 'open' | 'down' | 'unavailable' | 'closed';

export interface EventHubOptions {
  /** The stream is opened on this client's Marathon, with its credentials and CA. */
  client: Pick<MarathonClient, 'events'>;
  reporter: Reporter;
  eventTypes?: string[];
  /** Reconnects after a drop before giving up (default 3). */
  reconnects?: number;
  /** How long the first connection may take before the deploy goes on without it (default 10 s). */
  openTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export class EventHub {
  state: HubState = 'connecting';
  readonly events: MarathonEvent[] = [];
  /** Bumped every time the stream (re)opens; a waiter that sees it change re-checks state it may have missed. */
  generation = 0;
  private readonly controller = new AbortController();
  private wake: (() => void)[] = [];
  private readonly opts: EventHubOptions;
  private loop: Promise<void> | undefined;
  private listeners: ((e: MarathonEvent) => void)[] = [];

  constructor(opts: EventHubOptions) {
    this.opts = opts;
  }

  /** Starts the subscription; resolves true once events flow, false if it could not open in time. */
  async start(): Promise<boolean> {
    let opened!: (ok: boolean) => void;
    const first = new Promise<boolean>((resolve) => (opened = resolve));
    this.loop = this.run(opened);
    const timer = setTimeout(() => opened(false), this.opts.openTimeoutMs ?? 10_000);
    const ok = await first;
    clearTimeout(timer);
    return ok;
  }

  onEvent(listener: (e: MarathonEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves at the next event, state change, or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, ms));
      const self = this;
      function done() {
        clearTimeout(t);
        self.wake = self.wake.filter((w) => w !== done);
        resolve();
      }
      this.wake.push(done);
    });
  }

  find(predicate: (e: MarathonEvent) => boolean): MarathonEvent | undefined {
    return this.events.find(predicate);
  }

  async close(): Promise<void> {
    this.state = 'closed';
    this.controller.abort();
    this.notify();
    await this.loop?.catch(() => {});
  }

  private notify() {
    for (const w of [...this.wake]) w();
  }

  private setState(s: HubState) {
    if (this.state === 'closed') return;
    this.state = s;
    this.notify();
  }

  private async run(opened: (ok: boolean) => void): Promise<void> {
    const { reporter } = this.opts;
    let failures = 0;
    let everOpened = false;
    while (!this.controller.signal.aborted) {
      let why = 'the server closed it';
      try {
        for await (const event of this.opts.client.events({
          eventTypes: this.opts.eventTypes,
          signal: this.controller.signal,
          idleTimeoutMs: this.opts.idleTimeoutMs,
          onOpen: ({ url, redirected }) => {
            if (redirected) reporter.info(`event stream: following the redirect to ${url}`);
            if (everOpened) reporter.info('event stream: reconnected');
            everOpened = true;
            failures = 0;
            this.generation++;
            this.setState('open');
            opened(true);
          },
        })) {
          this.events.push(event);
          for (const l of this.listeners) l(event);
          this.notify();
        }
      } catch (error) {
        why = error instanceof Error ? error.message : String(error);
      }
      if (this.controller.signal.aborted) break;
      failures++;
      const limit = this.opts.reconnects ?? 3;
      if (!everOpened || failures > limit) {
        reporter.warn(`event stream unavailable (${why}); following the deployment by polling /v2/deployments once a second`);
        this.setState('unavailable');
        opened(false);
        return;
      }
      reporter.warn(`event stream dropped (${why}); reconnecting (${failures} of ${limit}) and checking /v2/deployments meanwhile`);
      this.setState('down');
      await sleep(Math.min(2_000, 200 * 2 ** (failures - 1)), this.controller.signal).catch(() => {});
    }
  }
}
