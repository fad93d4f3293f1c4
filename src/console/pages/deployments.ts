/**
 * Deployments: per environment and app, what runs (image, digest, build, commit, health, endpoints,
 * a deployment in progress) and the builds that ran there before. Promote and Roll back force the
 * generated builders `<project>-promote` / `<project>-rollback`, so Buildbot decides who may.
 * The promote form suggests the builds the source environment runs healthy or ran (promote-offer.ts).
 */

type Answer = { environments: EnvironmentData[]; promotions?: PromotionRoute[] };
import { api, deployments, HttpError } from '../api.js';
import { h, mount } from '../dom.js';
import { openForceDialog } from '../force-dialog.js';
import { actionBuilder, type Action, type Builder } from '../model/builders.js';
import { environmentViews, type AppView, type BuildRef, type EnvironmentData } from '../model/deployments.js';
import { promoteOffer, type PromotionRoute } from '../model/promote-offer.js';
import { redrawer } from '../model/redraw.js';
import type { Page } from './page.js';

function buildLink(b: BuildRef): HTMLElement | string {
  const text = b.number ? `${b.project ?? ''} #${b.number}` : 'unknown';
  return b.url ? h('a', { href: b.url, class: 'buildlink' }, text) : text;
}

function actionButton(builders: Builder[], action: Action, app: AppView, env: string, loggedIn: boolean, data: Answer): HTMLElement | null {
  if (!app.project) return null;
  const project = app.project;
  const b = actionBuilder(builders, action, project);
  const label = action === 'promote' ? 'Promote' : 'Roll back';
  if (!b) return h('small', { class: 'missing' }, `${label}: no builder ${project}-${action} on this master`);
  const open = () => {
    if (action === 'rollback') return openForceDialog(b, { loggedIn, title: `Roll back ${project} in ${env}`, values: { environment: env } });
    const offer = promoteOffer(data.promotions ?? [], data.environments, project, env);
    return openForceDialog(b, {
      loggedIn,
      title: offer.to ? `Promote ${project} from ${offer.from} into ${offer.to}` : `Promote ${project}`,
      values: offer.to ? { environment: offer.to } : {},
      suggestions: { source_build: offer.builds },
    });
  };
  return h('button', { type: 'button', 'data-action': action, 'data-key': `${action}:${env}:${app.id}`, onclick: () => void open() }, label);
}

function appSection(app: AppView, env: string, builders: Builder[], loggedIn: boolean, data: Answer): HTMLElement {
  return h(
    'section',
    { class: 'app', 'data-app': app.id, 'aria-label': `${app.id} in ${env}` },
    h('h3', null, app.id, app.project ? h('small', null, ` project ${app.project}`) : null),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Image'),
      h('dd', null, h('code', null, app.image ?? 'none')),
      h('dt', null, 'Digest'),
      h('dd', { class: 'digest' }, h('code', null, app.digest ?? 'unknown')),
      h('dt', null, 'Build'),
      h('dd', { class: 'build' }, buildLink(app.build), app.build.branch ? ` on ${app.build.branch}` : ''),
      h('dt', null, 'Commit'),
      h('dd', null, h('code', null, app.build.commit ?? 'unknown'), app.build.describe ? ` (${app.build.describe})` : ''),
      h('dt', null, 'Health'),
      h('dd', { class: 'health' }, `${app.healthy}/${app.total} healthy`, app.healthy < app.total ? h('strong', null, ' (degraded)') : ''),
      h('dt', null, 'Endpoints'),
      h('dd', { class: 'endpoints' }, app.endpoints.length ? app.endpoints.map((e) => h('div', null, `service port ${e.servicePort} → ${e.addresses.join(' ') || 'no running task'}`)) : 'none'),
      h('dt', null, 'Deployment'),
      h('dd', { class: 'progress' }, app.inProgress ?? 'none in progress'),
    ),
    h('p', { class: 'buttons' }, actionButton(builders, 'promote', app, env, loggedIn, data), ' ', actionButton(builders, 'rollback', app, env, loggedIn, data)),
    h(
      'details',
      { class: 'history', 'data-key': `history:${env}:${app.id}` },
      h('summary', null, `History (${app.history.length} versions)`),
      h(
        'table',
        { class: 'list' },
        h('thead', null, h('tr', null, ...['Version', 'Build', 'Commit', 'Image'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          null,
          ...app.history.map((v) =>
            h('tr', null, h('td', null, v.version, v.current ? h('strong', null, ' (running)') : ''), h('td', null, buildLink(v.build)), h('td', null, h('code', null, (v.build.commit ?? '').slice(0, 10))), h('td', null, h('code', null, v.image ?? ''))),
          ),
        ),
      ),
    ),
  );
}

export const deploymentsPage: Page = (root, ctx) => {
  let shown = '';
  const draw = async () => {
    if (!ctx.loggedIn) return mount(root, h('h1', null, 'Deployments'), h('p', null, 'Log in to see what runs where.'));
    const [data, { builders }] = await Promise.all([deployments<Answer>(), api<{ builders: Builder[] }>('builders')]);
    const seen = JSON.stringify([data, builders]);
    if (seen === shown) return;
    shown = seen;
    mount(
      root,
      h('h1', null, 'Deployments'),
      ...environmentViews(data.environments).map((env) =>
        h(
          'section',
          { class: 'environment', 'data-environment': env.name },
          h('h2', null, `Environment ${env.name}`),
          env.error ? h('p', { class: 'error', role: 'alert' }, env.error) : null,
          env.apps.length ? env.apps.map((a) => appSection(a, env.name, builders, ctx.loggedIn, data)) : h('p', null, 'No app deployed by buildbot-marathon.'),
        ),
      ),
    );
  };
  const failSoft = (err: unknown) => (err instanceof HttpError && err.status === 401 ? mount(root, h('h1', null, 'Deployments'), h('p', null, 'Log in to see what runs where.')) : ctx.fail(err));
  // One read at a time: a Marathon slow to answer the master does not pile reads up.
  const redraw = redrawer(draw, failSoft);
  // Marathon is read by the master on each request: every 5 s while the page is shown and visible.
  const timer = window.setInterval(() => {
    if (document.visibilityState === 'visible' && !document.querySelector('dialog[open]')) void redraw.poke();
  }, 5000);
  return redraw.poke().then(() => () => (clearInterval(timer), redraw.stop()));
};
