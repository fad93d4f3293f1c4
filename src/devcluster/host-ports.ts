/**
 * Host ports of tasks: fixed ones (requirePorts, a bridge mapping's hostPort) as given, the others
 * picked at random from the host port range among ports no task holds and the machine has free,
 * reserved while the container starts (a Mesos agent offers its port range the same way).
 */
import net from 'node:net';
import type { ResolvedApp } from './app.js';
import { isHostNetworking } from './app.js';

export class HostPorts {
  /** Handed to a task whose container is not running yet. */
  private readonly reserved = new Set<number>();

  constructor(
    private readonly range: [number, number],
    /** Ports the engine's tasks hold now. */
    private readonly held: () => Iterable<number>,
  ) {}

  inUse(): Set<number> {
    const s = new Set(this.reserved);
    for (const p of this.held()) s.add(p);
    return s;
  }

  /** Host ports of a new task, in port order; reserved until release(). */
  async forTask(app: ResolvedApp): Promise<number[]> {
    const wanted = isHostNetworking(app)
      ? (app.portDefinitions ?? []).map((d) => (app.requirePorts ? d.port : 0))
      : (app.container?.portMappings ?? []).map((m) => m.hostPort ?? 0);
    const dynamic = await this.allocate(wanted.filter((p) => p === 0).length);
    for (const p of wanted) if (p !== 0) this.reserved.add(p);
    return wanted.map((p) => (p !== 0 ? p : (dynamic.shift() as number)));
  }

  /** The task runs (its ports are now held by it) or is gone. */
  release(ports: number[]): void {
    for (const p of ports) this.reserved.delete(p);
  }

  private async allocate(count: number): Promise<number[]> {
    const [lo, hi] = this.range;
    const inUse = this.inUse();
    const out: number[] = [];
    for (let attempt = 0; out.length < count && attempt < 200; attempt++) {
      const p = lo + Math.floor(Math.random() * (hi - lo + 1));
      if (inUse.has(p) || out.includes(p)) continue;
      this.reserved.add(p);
      if (await portFree(p)) out.push(p);
      else this.reserved.delete(p);
    }
    if (out.length < count) {
      this.release(out);
      throw new Error(`no free host port in ${lo}-${hi}`);
    }
    return out;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
  });
}
