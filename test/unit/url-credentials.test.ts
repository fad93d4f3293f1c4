import { describe, expect, it } from 'vitest';
import { hasUrlSecret, redactUrl, urlCredentials, withoutUrlCredentials } from '../../src/url-credentials.js';

describe('credentials in URLs', () => {
  it.each([
    // url, found, secret?, without, redacted
    ['https://host/o/a.git', null, false, 'https://host/o/a.git', 'https://host/o/a.git'],
    ['https://bot:TOKEN@host/o/a.git', 'password', true, 'https://host/o/a.git', 'https://***@host/o/a.git'],
    ['https://TOKEN@host/o/a.git', 'user', true, 'https://host/o/a.git', 'https://***@host/o/a.git'],
    ['ssh://git@host/o/a.git', 'user', false, 'ssh://host/o/a.git', 'ssh://***@host/o/a.git'],
    ['git@github.com:o/a.git', null, false, 'git@github.com:o/a.git', 'git@github.com:o/a.git'],
    ['bot:TOKEN@github.com:o/a.git', 'password', true, 'github.com:o/a.git', '***@github.com:o/a.git'],
    ['postgresql://u:pa/ss@db/bb', 'password', true, 'postgresql://db/bb', 'postgresql://***@db/bb'],
    ['postgresql://u:p@ss@db:5432/bb', 'password', true, 'postgresql://db:5432/bb', 'postgresql://***@db:5432/bb'],
    ['postgresql://bb:SECRET/x?y@db/bb', 'password', true, 'postgresql://db/bb', 'postgresql://***@db/bb'],
    ['postgresql://bb:SE#CRET@db/bb', 'password', true, 'postgresql://db/bb', 'postgresql://***@db/bb'],
    ['postgresql://u@db/bb?password=SECRET&x=1', 'query', true, 'postgresql://db/bb?password=&x=1', 'postgresql://***@db/bb?password=***&x=1'],
    ['postgresql://db/bb?sslmode=require&password=SECRET', 'query', true, 'postgresql://db/bb?sslmode=require&password=', 'postgresql://db/bb?sslmode=require&password=***'],
    ['sqlite:///state.sqlite', null, false, 'sqlite:///state.sqlite', 'sqlite:///state.sqlite'],
    ['sqlite:////srv/a@b/state.sqlite', null, false, 'sqlite:////srv/a@b/state.sqlite', 'sqlite:////srv/a@b/state.sqlite'],
    ['/srv/git/hello.git', null, false, '/srv/git/hello.git', '/srv/git/hello.git'],
    ['http://us er:pa ss@ho st/', 'password', true, 'http://ho st/', 'http://***@ho st/'],
  ] as const)('%s', (url, found, secret, without, redacted) => {
    expect(urlCredentials(url)).toBe(found);
    expect(hasUrlSecret(url)).toBe(secret);
    expect(withoutUrlCredentials(url)).toBe(without);
    expect(redactUrl(url)).toBe(redacted);
    for (const s of ['TOKEN', 'SECRET', 'SE#CRET', 'pa/ss', 'p@ss']) if (url.includes(s)) expect(redactUrl(url)).not.toContain(s);
  });
});
