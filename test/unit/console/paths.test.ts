import { describe, expect, it } from 'vitest';
import { href, masterRoot, parseRoute, wsUrl, type Route } from '../../../src/console/model/paths.js';

describe('masterRoot', () => {
  it.each([
    ['/', '/'],
    ['/bbm/', '/'],
    ['/bbm/index.html', '/'],
    ['/ci/', '/ci/'],
    ['/ci/bbm/', '/ci/'],
    ['/index.html', '/'],
  ])('%s → %s', (path, root) => expect(masterRoot(path)).toBe(root));
});

it('wsUrl follows the page scheme', () => {
  expect(wsUrl('http://127.0.0.1:8010/bbm/#/builds', '/')).toBe('ws://127.0.0.1:8010/ws');
  expect(wsUrl('https://ci.example/ci/bbm/', '/ci/')).toBe('wss://ci.example/ci/ws');
});

describe('routes', () => {
  it.each<[string, Route]>([
    ['', { page: 'builds' }],
    ['#/builds', { page: 'builds' }],
    ['#/builders/3', { page: 'builder', builderid: 3 }],
    ['#/builds/17', { page: 'build', buildid: 17 }],
    ['#/builders/3/builds/2', { page: 'builderBuild', builderid: 3, number: 2 }],
    ['#builders/3/builds/2', { page: 'builderBuild', builderid: 3, number: 2 }],
    ['#/deployments', { page: 'deployments' }],
    ['#/builds/x', { page: 'builds' }],
    ['#/builders/-1', { page: 'builds' }],
    ['#/nowhere', { page: 'builds' }],
  ])('%s', (hash, route) => expect(parseRoute(hash)).toEqual(route));

  it.each<Route>([{ page: 'builds' }, { page: 'builder', builderid: 4 }, { page: 'build', buildid: 9 }, { page: 'builderBuild', builderid: 1, number: 5 }, { page: 'deployments' }])(
    'href round-trips %j',
    (route) => expect(parseRoute(href(route))).toEqual(route),
  );
});
