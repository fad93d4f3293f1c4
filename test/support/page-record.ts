/**
 * What a browser page did while a test drove it: its console and uncaught errors, requests that
 * failed, the last requests (with status and time taken, or still waiting) and its websockets. A
 * failed browser case carries this in its message (`explained`), so a CI failure says why.
 * Adapters for playwright-core (Chromium) and puppeteer-core (Firefox over WebDriver BiDi).
 */
import type { Page as PlaywrightPage } from 'playwright-core';
import type { Page as PuppeteerPage } from 'puppeteer-core';

interface Exchange {
  at: number;
  method: string;
  url: string;
  status?: number;
  end?: number;
  error?: string;
}

const KEEP = 40;

export class PageRecord {
  private readonly t0 = Date.now();
  private readonly console: string[] = [];
  private readonly failed: string[] = [];
  private readonly sockets: string[] = [];
  private readonly exchanges: Exchange[] = [];
  private readonly byRequest = new WeakMap<object, Exchange>();

  private stamp(t = Date.now()): string {
    return `+${((t - this.t0) / 1000).toFixed(1)}s`;
  }
  private static keep(list: unknown[]): void {
    if (list.length > KEEP) list.splice(0, list.length - KEEP);
  }

  /** The page's own words: console messages and uncaught errors. */
  said(line: string): void {
    this.console.push(`${this.stamp()} ${line}`);
    PageRecord.keep(this.console);
  }
  socket(line: string): void {
    this.sockets.push(`${this.stamp()} ${line}`);
    PageRecord.keep(this.sockets);
  }
  requested(request: object, method: string, url: string): void {
    const x: Exchange = { at: Date.now(), method, url };
    this.byRequest.set(request, x);
    this.exchanges.push(x);
    PageRecord.keep(this.exchanges);
  }
  answered(request: object, status: number): void {
    const x = this.byRequest.get(request);
    if (x) x.status = status;
  }
  finished(request: object): void {
    const x = this.byRequest.get(request);
    if (x) x.end = Date.now();
  }
  failedRequest(request: object, method: string, url: string, error: string): void {
    const x = this.byRequest.get(request);
    if (x) Object.assign(x, { end: Date.now(), error });
    this.failed.push(`${this.stamp()} ${method} ${url}: ${error}`);
    PageRecord.keep(this.failed);
  }

  private line(x: Exchange, now: number): string {
    const outcome = x.error ? `failed: ${x.error}` : x.end ? `${x.status ?? '?'} in ${x.end - x.at} ms` : `${x.status ?? 'no answer'} yet, waiting ${now - x.at} ms`;
    return `${this.stamp(x.at)} ${x.method} ${x.url} → ${outcome}`;
  }

  /** Everything kept, for a failure message. */
  report(where: string, text: string): string {
    const now = Date.now();
    const section = (title: string, lines: string[]) => `${title}:\n${lines.length ? lines.map((l) => `  ${l}`).join('\n') : '  (none)'}`;
    return [
      `--- the page at ${where} (${this.stamp(now)} since it opened)`,
      `page text: ${text.replace(/\s+/g, ' ').slice(0, 1500)}`,
      section('console', this.console),
      section('failed requests', this.failed),
      section(`last ${KEEP} requests`, this.exchanges.map((x) => this.line(x, now))),
      section('websockets', this.sockets),
    ].join('\n');
  }
}

export function recordPlaywright(page: PlaywrightPage): PageRecord {
  const r = new PageRecord();
  page.on('console', (m) => r.said(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => r.said(`pageerror: ${e.stack ?? String(e)}`));
  page.on('request', (q) => r.requested(q, q.method(), q.url()));
  page.on('response', (s) => r.answered(s.request(), s.status()));
  page.on('requestfinished', (q) => r.finished(q));
  page.on('requestfailed', (q) => r.failedRequest(q, q.method(), q.url(), q.failure()?.errorText ?? 'failed'));
  page.on('websocket', (ws) => {
    let frames = 0;
    r.socket(`open ${ws.url()}`);
    ws.on('framesent', (f) => r.socket(`sent ${String(f.payload).slice(0, 200)}`));
    ws.on('framereceived', () => void frames++);
    ws.on('socketerror', (e) => r.socket(`error ${e}`));
    ws.on('close', () => r.socket(`closed ${ws.url()} after ${frames} frames received`));
  });
  return r;
}

export function recordPuppeteer(page: PuppeteerPage): PageRecord {
  const r = new PageRecord();
  page.on('console', (m) => r.said(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => r.said(`pageerror: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  page.on('request', (q) => r.requested(q, q.method(), q.url()));
  page.on('response', (s) => r.answered(s.request(), s.status()));
  page.on('requestfinished', (q) => r.finished(q));
  page.on('requestfailed', (q) => r.failedRequest(q, q.method(), q.url(), q.failure()?.errorText ?? 'failed'));
  return r;
}

/**
 * Runs a browser case; if it throws, the error's message gets `report()` (what the page did) so the
 * failure says why. The error itself is kept (its stack, its type).
 */
export async function explained(run: () => Promise<void>, report: () => Promise<string>): Promise<void> {
  try {
    await run();
  } catch (e) {
    const extra = await report().catch((why: unknown) => `(what the page did could not be read: ${String(why)})`);
    if (e instanceof Error) {
      e.message = `${e.message}\n${extra}`;
      throw e;
    }
    throw new Error(`${String(e)}\n${extra}`);
  }
}
