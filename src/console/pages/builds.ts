/** Builds: every configured builder with its last build and a Build button; one builder's recent builds. */
import { api, subscribe } from '../api.js';
import { h, mount, result, time } from '../dom.js';
import { openForceDialog } from '../force-dialog.js';
import { activeBuilders, lastBuilds, type Build, type Builder } from '../model/builders.js';
import { duration } from '../model/results.js';
import { href } from '../model/paths.js';
import { redrawer } from '../model/redraw.js';
import type { Page } from './page.js';

const buildLink = (b: Build) => h('a', { href: href({ page: 'build', buildid: b.buildid }) }, `#${b.number}`);

export const buildsPage: Page = (root, ctx) => {
  const draw = async () => {
    const [{ builders }, { builds }] = await Promise.all([
      api<{ builders: Builder[] }>('builders'),
      api<{ builds: Build[] }>('builds?order=-buildid&limit=200'),
    ]);
    const last = lastBuilds(builds);
    const now = Date.now() / 1000;
    mount(
      root,
      h('h1', null, 'Builds'),
      h(
        'table',
        { class: 'list builders' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Builder'), h('th', { scope: 'col' }, 'Last build'), h('th', { scope: 'col' }, 'Result'), h('th', { scope: 'col' }, 'Started'), h('th', { scope: 'col' }, 'Took'), h('th', { scope: 'col' }, h('span', { class: 'sr' }, 'Actions')))),
        h(
          'tbody',
          null,
          ...activeBuilders(builders).map((b) => {
            const l = last.get(b.builderid);
            return h(
              'tr',
              { 'data-builder': b.name },
              h('th', { scope: 'row' }, h('a', { href: href({ page: 'builder', builderid: b.builderid }) }, b.name), b.tags.length ? h('small', { class: 'tags' }, ' ', b.tags.join(' ')) : null),
              h('td', null, l ? buildLink(l) : 'none yet'),
              h('td', null, l ? result(l.results, l.complete) : ''),
              h('td', null, l ? time(l.started_at) : ''),
              h('td', null, l ? duration(l.started_at, l.complete_at, now) : ''),
              h('td', null, h('button', { type: 'button', 'data-key': `build:${b.name}`, onclick: () => void openForceDialog(b, { loggedIn: ctx.loggedIn }) }, 'Build')),
            );
          }),
        ),
      ),
    );
  };
  // A build starting or finishing sends several events: they make one more draw, not one each.
  const redraw = redrawer(draw, ctx.fail, { retryMs: 5000 });
  const live = subscribe(['builds/*/*'], () => void redraw.poke());
  return redraw.poke().then(() => () => (live.close(), redraw.stop()));
};

export const builderPage = (builderid: number): Page => (root, ctx) => {
  const draw = async () => {
    const [{ builders }, { builds }] = await Promise.all([
      api<{ builders: Builder[] }>(`builders/${builderid}`),
      api<{ builds: Build[] }>(`builders/${builderid}/builds?order=-number&limit=50&property=branch&property=got_revision&property=owner`),
    ]);
    const b = builders[0];
    if (!b) return mount(root, h('h1', null, 'No such builder'));
    const now = Date.now() / 1000;
    mount(
      root,
      h('h1', null, b.name, ' ', h('button', { type: 'button', onclick: () => void openForceDialog(b, { loggedIn: ctx.loggedIn }) }, 'Build')),
      b.description ? h('p', null, b.description) : null,
      h(
        'table',
        { class: 'list' },
        h('thead', null, h('tr', null, ...['Build', 'Result', 'Branch', 'Revision', 'Started', 'Took', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          null,
          ...builds.map((x) => {
            const p = x.properties ?? {};
            return h(
              'tr',
              null,
              h('td', null, buildLink(x)),
              h('td', null, result(x.results, x.complete)),
              h('td', null, String(p.branch?.[0] ?? '')),
              h('td', null, h('code', null, String(p.got_revision?.[0] ?? '').slice(0, 10))),
              h('td', null, time(x.started_at)),
              h('td', null, duration(x.started_at, x.complete_at, now)),
              h('td', null, x.state_string),
            );
          }),
        ),
      ),
    );
  };
  const redraw = redrawer(draw, ctx.fail, { retryMs: 5000 });
  const live = subscribe([`builders/${builderid}/builds/*/*`], () => void redraw.poke());
  return redraw.poke().then(() => () => (live.close(), redraw.stop()));
};
