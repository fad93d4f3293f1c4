/**
 * buildbot-marathon's web console: the shell (title, navigation, who is logged in) and a hash
 * router over the pages. Served by the Buildbot master as its www plugin `bbm` (see
 * buildbot/master/console); every request goes to the master that served it.
 */
import { ROOT, config, login, logout, type MasterConfig } from './api.js';
import { h, mount } from './dom.js';
import { parseRoute, type Route } from './model/paths.js';
import { builderBuildPage, buildPage } from './pages/build.js';
import { builderPage, buildsPage } from './pages/builds.js';
import { deploymentsPage } from './pages/deployments.js';
import type { Page, PageContext } from './pages/page.js';

const main = document.getElementById('main') as HTMLElement;
const userBox = document.getElementById('user') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
let master: MasterConfig = { user: { anonymous: true } };
let cleanup: (() => void) | null = null;
let generation = 0;

function pageFor(route: Route): Page {
  switch (route.page) {
    case 'builder':
      return builderPage(route.builderid);
    case 'build':
      return buildPage(route.buildid);
    case 'builderBuild':
      return builderBuildPage(route.builderid, route.number);
    case 'deployments':
      return deploymentsPage;
    default:
      return buildsPage;
  }
}

/** The link goes to the page shown, whose address did not change: following it would do nothing. */
function retry(e: Event): void {
  e.preventDefault();
  void show();
}

function fail(into: HTMLElement, err: unknown): void {
  mount(into, h('h1', null, 'Something went wrong'), h('p', { role: 'alert', class: 'error' }, err instanceof Error ? err.message : String(err)), h('p', null, h('a', { href: location.hash || '#/builds', onclick: retry }, 'Try again')));
}

async function show(): Promise<void> {
  const mine = ++generation;
  cleanup?.();
  cleanup = null;
  const route = parseRoute(location.hash);
  for (const a of nav.querySelectorAll('a')) a.toggleAttribute('aria-current', a.getAttribute('href') === `#/${route.page === 'deployments' ? 'deployments' : 'builds'}`);
  // Each page draws into an element of its own. A page left while one of its answers was still on
  // the way (the Builds page redrawing for the build its form just started, when the form opens
  // that build's page) then draws into its detached element, never over the page now shown.
  const view = h('div', { class: 'view' }, h('p', null, 'Loading…'));
  mount(main, view);
  // Read at use: the first page draws while /config (who is logged in) is still on its way.
  const ctx: PageContext = {
    get username() {
      return master.user.anonymous ? null : (master.user.username ?? null);
    },
    get loggedIn() {
      return this.username !== null;
    },
    fail: (err) => {
      if (mine === generation) fail(view, err);
    },
  };
  const done = await pageFor(route)(view, ctx).catch((err: unknown) => (ctx.fail(err), () => {}));
  if (mine === generation) cleanup = done;
  else done();
}

function drawUser(): void {
  const u = master.user;
  if (!u.anonymous && u.username) {
    mount(userBox, h('span', { class: 'who' }, 'Logged in as ', h('strong', null, u.username)), ' ', h('button', { type: 'button', onclick: () => void logout().then(() => refreshAndShow()) }, 'Log out'));
    return;
  }
  if (master.auth?.oauth2) {
    mount(userBox, h('a', { href: `${ROOT}auth/login` }, 'Log in'));
    return;
  }
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, size: 10 });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, size: 10 });
  const message = h('span', { role: 'status', class: 'status' });
  const form = h('form', { class: 'login' }, h('label', { for: 'login-user' }, 'User'), ' ', user, ' ', h('label', { for: 'login-password' }, 'Password'), ' ', password, ' ', h('button', { type: 'submit' }, 'Log in'), ' ', message);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void login(user.value, password.value).then(async () => {
      await refreshAndShow();
      if (master.user.anonymous) mount(message, 'Wrong user or password.');
    });
  });
  mount(userBox, form);
}

async function refresh(): Promise<void> {
  master = await config();
  document.title = `${master.title ?? 'Buildbot'} · console`;
  drawUser();
}

window.addEventListener('hashchange', () => void show());
// First paint: the page and who is logged in load side by side; pages that depend on the user
// (Deployments) redraw once it is known, and every login or logout redraws the page.
const first = refresh().catch((err: unknown) => fail(main, err));
if (parseRoute(location.hash).page === 'deployments') void first.then(show);
else void show();

/** After a login or logout: who is logged in, then the page again. */
async function refreshAndShow(): Promise<void> {
  await refresh();
  await show();
}
