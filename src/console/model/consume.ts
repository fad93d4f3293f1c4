/**
 * Buildbot's event websocket (`buildbot/www/ws.py`): the page sends `{cmd: 'startConsuming', path,
 * _id}` per path; the master answers each `{_id, code: 200, msg: 'OK'}` once its consumer is
 * registered, then sends every event under it as `{k, m}`. A page's catch-up read (what happened
 * before it subscribed) must come after every answer: a read made before the master registered
 * the consumer can miss an event sent in between (a build finishing just then, which the page
 * would then never learn, no event being left to tell it).
 */
export type Received = 'event' | 'ready' | null;

export function consumer(paths: readonly string[]): { frames: string[]; receive(msg: unknown): Received } {
  const pending = new Set(paths.map((_, i) => i + 1));
  return {
    frames: paths.map((path, i) => JSON.stringify({ cmd: 'startConsuming', path, _id: i + 1 })),
    /** 'event' for an event, 'ready' when the last subscription is answered (a refusal too: the page reads anyway). */
    receive(msg) {
      if (!msg || typeof msg !== 'object') return null;
      const m = msg as { k?: unknown; _id?: unknown };
      if (typeof m.k === 'string') return 'event';
      if (typeof m._id === 'number' && pending.delete(m._id) && pending.size === 0) return 'ready';
      return null;
    },
  };
}
