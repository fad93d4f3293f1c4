import { describe, expect, it } from 'vitest';
import { consumer, type Received } from '../../../src/console/model/consume.js';

describe('consumer: Buildbot’s websocket subscriptions, and when the page may catch up', () => {
  it('sends one startConsuming frame per path, numbered from 1', () => {
    expect(consumer(['builds/7/*', 'builds/7/steps/*/*']).frames.map((f) => JSON.parse(f))).toEqual([
      { cmd: 'startConsuming', path: 'builds/7/*', _id: 1 },
      { cmd: 'startConsuming', path: 'builds/7/steps/*/*', _id: 2 },
    ]);
  });

  it.each<[string, unknown[], Received[]]>([
    ['ready once every subscription is answered, not before', [{ _id: 1, code: 200, msg: 'OK' }, { _id: 2, code: 200, msg: 'OK' }], [null, 'ready']],
    ['answers in any order', [{ _id: 2, code: 200 }, { _id: 1, code: 200 }], [null, 'ready']],
    ['an event before the answers is an event', [{ k: 'builds/7/update', m: {} }, { _id: 1, code: 200 }, { _id: 2, code: 200 }], ['event', null, 'ready']],
    ['a refused subscription counts as answered (the page reads anyway)', [{ _id: 1, code: 400, error: 'invalid path' }, { _id: 2, code: 200 }], [null, 'ready']],
    ['an answer repeated or unknown is not ready twice', [{ _id: 1, code: 200 }, { _id: 1, code: 200 }, { _id: 9, code: 200 }, { _id: 2, code: 200 }, { _id: 2, code: 200 }], [null, null, null, 'ready', null]],
    ['anything else is ignored', [null, 'text', 42, { msg: 'OK' }], [null, null, null, null]],
  ])('%s', (_, messages, expected) => {
    const c = consumer(['builds/7/*', 'builds/7/steps/*/*']);
    expect(messages.map((m) => c.receive(m))).toEqual(expected);
  });
});
