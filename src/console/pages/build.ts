/**
 * One build: its steps update live (Buildbot's /ws events for the build and its steps), each step's
 * logs open in place, a page of lines at a time; an open log of a running step follows its end.
 */
import { ROOT, api, subscribe } from '../api.js';
import { h, mount, result, time } from '../dom.js';
import type { Build, Builder } from '../model/builders.js';
import { lastPage, pageLabel, pageQuery, parseChunk } from '../model/log.js';
import { duration } from '../model/results.js';
import { href } from '../model/paths.js';
import { redrawer } from '../model/redraw.js';
import type { Page } from './page.js';

interface Step {
  stepid: number;
  number: number;
  name: string;
  results: number | null;
  complete: boolean;
  started_at: number | null;
  complete_at: number | null;
  state_string: string;
  hidden: boolean;
  urls: { name: string; url: string }[];
}

interface Log {
  logid: number;
  name: string;
  slug: string;
  type: string;
  num_lines: number;
  complete: boolean;
}

/**
 * A log viewer: one page of lines, buttons for the other pages; follows the end while the log grows.
 * One read at a time (model/redraw.ts): a page asked for while the end is being read is the last drawn.
 */
function logViewer(log: Log, onError: (err: unknown) => void) {
  let page = lastPage(log.num_lines);
  let follow = !log.complete;
  const pre = h('pre', { class: 'log', tabindex: 0, 'aria-label': `log ${log.name}` });
  const label = h('span', { class: 'page' });
  const nav = (text: string, to: () => number) => h('button', { type: 'button', 'data-key': `lognav:${log.logid}:${text}`, onclick: () => ((page = to()), (follow = false), void load()) }, text);
  const el = h(
    'div',
    { class: 'logview', 'data-log': log.name },
    h('p', { class: 'lognav' }, nav('First', () => 0), ' ', nav('Previous', () => Math.max(0, page - 1)), ' ', label, ' ', nav('Next', () => Math.min(lastPage(log.num_lines), page + 1)), ' ', nav('Last', () => lastPage(log.num_lines)), ' ', h('a', { href: `${ROOT}api/v2/logs/${log.logid}/raw` }, 'raw')),
    pre,
  );
  const read = async () => {
    const { logs } = await api<{ logs: Log[] }>(`logs/${log.logid}`);
    if (logs[0]) log = logs[0];
    if (follow) page = lastPage(log.num_lines);
    const { offset, limit } = pageQuery(page);
    const { logchunks } = log.num_lines ? await api<{ logchunks: { content: string }[] }>(`logs/${log.logid}/contents?offset=${offset}&limit=${limit}`) : { logchunks: [] };
    const lines = logchunks.flatMap((c) => parseChunk(c.content, log.type));
    mount(pre, ...lines.map((l) => h('span', { class: `l ${l.stream}` }, l.text, '\n')));
    label.textContent = pageLabel(page, log.num_lines);
    if (follow) pre.scrollTop = pre.scrollHeight;
  };
  const reads = redrawer(read, onError);
  const load = () => reads.poke();
  return { el, load, stop: () => reads.stop(), get running() { return !log.complete; } };
}

/** Buildbot's build URL (`#/builders/<id>/builds/<number>`): find the build, then show it. */
export const builderBuildPage = (builderid: number, number: number): Page => async (root, ctx) => {
  const { builds } = await api<{ builds: Build[] }>(`builders/${builderid}/builds/${number}`);
  if (!builds[0]) {
    mount(root, h('h1', null, 'No such build'));
    return () => {};
  }
  return buildPage(builds[0].buildid)(root, ctx);
};

export const buildPage = (buildid: number): Page => (root, ctx) => {
  const open = new Map<number, ReturnType<typeof logViewer>[]>();
  const stepsEl = h('ol', { class: 'steps' });
  // Drawn at once; the build's answer fills it in, before its steps and its builder's name.
  const head = h('div', null, h('h1', null, `Build ${buildid}`));
  let builderName: string | undefined;
  const drawHead = (b: Build) => {
    const now = Date.now() / 1000;
    const p = b.properties ?? {};
    const prop = (k: string) => (p[k] ? String(p[k][0]) : '');
    mount(
      head,
      h('h1', null, h('a', { href: href({ page: 'builder', builderid: b.builderid }) }, builderName ?? `builder ${b.builderid}`), ` #${b.number} `, result(b.results, b.complete)),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Status'),
        h('dd', { class: 'state' }, b.state_string),
        h('dt', null, 'Branch'),
        h('dd', null, prop('branch')),
        h('dt', null, 'Revision'),
        h('dd', null, h('code', null, prop('got_revision') || prop('revision'))),
        h('dt', null, 'Started'),
        h('dd', null, `${time(b.started_at)} (${duration(b.started_at, b.complete_at, now)})`),
        prop('reason') ? [h('dt', null, 'Reason'), h('dd', null, prop('reason'))] : null,
        prop('image') ? [h('dt', null, 'Image'), h('dd', null, h('code', null, prop('image')))] : null,
      ),
    );
  };
  // A redraw that fails once the page is drawn says so here and keeps what is shown (it is tried
  // again); only a page that never drew shows the error instead.
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  let drawn = false;
  const draw = async () => {
    const { builds } = await api<{ builds: Build[] }>(`builds/${buildid}?property=*`);
    const b = builds[0];
    if (!b) return mount(root, h('h1', null, 'No such build'));
    if (!root.contains(head)) layout(); // after an error drawn instead of the page
    drawHead(b);
    const [name, { steps }] = await Promise.all([
      builderName ?? api<{ builders: Builder[] }>(`builders/${b.builderid}`).then(({ builders }) => builders[0]?.name),
      api<{ steps: Step[] }>(`builds/${buildid}/steps`),
    ]);
    if (name !== builderName) {
      builderName = name;
      drawHead(b);
    }
    const now = Date.now() / 1000;
    const items = steps
      .filter((s) => !s.hidden)
      .map((s) => {
        const viewers = open.get(s.stepid);
        const toggle = h('button', { type: 'button', 'data-key': `log:${s.stepid}`, 'aria-expanded': viewers ? 'true' : 'false', onclick: () => void toggleLogs(s).catch(failed) }, viewers ? 'Hide log' : 'Log');
        return h(
          'li',
          { 'data-step': s.name },
          h('span', { class: 'stepname' }, s.name),
          ' ',
          result(s.results, s.complete, s.started_at !== null),
          ' ',
          h('span', { class: 'state' }, s.state_string),
          ' ',
          h('small', null, duration(s.started_at, s.complete_at, now)),
          ' ',
          toggle,
          viewers ? viewers.map((v) => v.el) : null,
        );
      });
    mount(stepsEl, ...items);
    drawn = true;
    problem.hidden = true;
  };
  const failed = (err: unknown) => {
    if (!drawn) return ctx.fail(err);
    problem.textContent = `Could not refresh (trying again): ${err instanceof Error ? err.message : String(err)}`;
    problem.hidden = false;
  };
  // One draw at a time, the newest answers last: a late answer never leaves the page on a state
  // the build has left (model/redraw.ts).
  const redraw = redrawer(draw, failed, { retryMs: 5000 });
  const toggleLogs = async (s: Step) => {
    if (open.has(s.stepid)) {
      for (const v of open.get(s.stepid) ?? []) v.stop();
      open.delete(s.stepid);
    } else {
      const { logs } = await api<{ logs: Log[] }>(`steps/${s.stepid}/logs`);
      const viewers = logs.map((l) => logViewer(l, failed));
      open.set(s.stepid, viewers);
      await Promise.all(viewers.map((v) => v.load()));
    }
    await redraw.poke();
  };
  const layout = () => mount(root, head, problem, h('h2', null, 'Steps'), stepsEl);
  layout();
  const live = subscribe([`builds/${buildid}/*`, `builds/${buildid}/steps/*/*`], () => void redraw.poke());
  // An open log of a running step grows without step events: read its end every 2 s.
  const follow = window.setInterval(() => {
    for (const vs of open.values()) for (const v of vs) if (v.running) void v.load();
  }, 2000);
  return redraw.poke().then(() => () => {
    live.close();
    redraw.stop();
    clearInterval(follow);
    for (const vs of open.values()) for (const v of vs) v.stop();
  });
};
