/**
 * A bounded, counted stream of HTTP requests for zero-failure tests: `keepAlive` loops reuse
 * their connection, `fresh` loops open a new connection for every request. Every request is
 * counted once, as ok (status 200 and a body that `accept` likes) or failed (with why).
 */
import { Agent, request } from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  failures: string[];
  bodies: Map<string, number>;
}

export interface Load {
  result: LoadResult;
  /** Stops the loops and waits for the requests in flight. */
  stop(): Promise<LoadResult>;
}

/** Wall-clock time of a failure, to line it up with logs. */
const stamp = () => new Date().toISOString().slice(11, 23);

export function startLoad(url: string, opts: { keepAlive?: number; fresh?: number; maxRequests?: number; accept?: (body: string) => boolean } = {}): Load {
  const result: LoadResult = { ok: 0, failed: 0, failures: [], bodies: new Map() };
  const max = opts.maxRequests ?? 200_000;
  let stopping = false;
  const one = (agent: Agent | false) =>
    new Promise<void>((resolve) => {
      const req = request(url, { agent, timeout: 20_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          body = body.trim();
          if (res.statusCode === 200 && (opts.accept?.(body) ?? true)) {
            result.ok++;
            result.bodies.set(body, (result.bodies.get(body) ?? 0) + 1);
          } else {
            result.failed++;
            if (result.failures.length < 20) result.failures.push(`${stamp()} status ${res.statusCode}: ${body.slice(0, 100)}`);
          }
          resolve();
        });
        res.on('error', (e) => {
          result.failed++;
          if (result.failures.length < 20) result.failures.push(`${stamp()} response error: ${e.message}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        result.failed++;
        if (result.failures.length < 20) result.failures.push(`${stamp()} ${agent ? 'keep-alive' : 'new connection'}: ${e.message}`);
        resolve();
      });
      req.end();
    });
  const loop = async (agent: Agent | false) => {
    while (!stopping && result.ok + result.failed < max) {
      await one(agent);
      // Yield a little so the test's own work (and the machine) keep moving.
      await new Promise((r) => setTimeout(r, 5));
    }
    if (agent) agent.destroy();
  };
  const loops: Promise<void>[] = [];
  for (let i = 0; i < (opts.keepAlive ?? 2); i++) loops.push(loop(new Agent({ keepAlive: true, maxSockets: 1 })));
  for (let i = 0; i < (opts.fresh ?? 2); i++) loops.push(loop(false));
  return {
    result,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return result;
    },
  };
}
