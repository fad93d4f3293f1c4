import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  MAX_TAG_LENGTH,
  TAG_PATTERN,
  branchHash,
  composeImage,
  composeTag,
  sanitizeBranch,
  sanitizeTagPart,
} from '../../src/tag/compose.js';

const long300 = 'feature/' + 'x'.repeat(292);

describe('sanitizeTagPart', () => {
  it.each([
    ['master', 'master'],
    ['feature/Foo_bar', 'feature-Foo_bar'],
    ['release/1.2.x', 'release-1.2.x'],
    ['a//b', 'a-b'],
    ['a/-/b', 'a-b'],
    ['fix/ümlaut-ñ', 'fix-umlaut-n'],
    ['日本語/branch', 'branch'],
    ['日本語', ''],
    ['emoji-🚀-x', 'emoji-x'],
    ['$(rm -rf /)', 'rm-rf'],
    ['`id`', 'id'],
    ['"quoted" \'single\'', 'quoted-single'],
    ['with spaces  and\ttabs', 'with-spaces-and-tabs'],
    ['line1\nline2\r\n', 'line1-line2'],
    ['semi;colon&amp|pipe>redir', 'semi-colon-amp-pipe-redir'],
    ['--leading-and-trailing--', 'leading-and-trailing'],
    ['dots..stay', 'dots..stay'],
    ['UPPER_case.9', 'UPPER_case.9'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeTagPart(input)).toBe(expected);
  });
});

describe('sanitizeBranch', () => {
  it('keeps a branch that fits', () => {
    expect(sanitizeBranch('feature/Foo_bar', 50)).toBe('feature-Foo_bar');
  });
  it('shortens to a prefix plus the hash of the full name', () => {
    const b = sanitizeBranch(long300, 40)!;
    expect(b).toHaveLength(40);
    expect(b).toBe(`feature-${'x'.repeat(23)}-${branchHash(long300)}`);
  });
  it('gives two branches that shorten to the same prefix different parts', () => {
    const a = sanitizeBranch(`${long300}-a`, 40);
    const b = sanitizeBranch(`${long300}-b`, 40);
    expect(a).not.toBe(b);
    expect(a!.slice(0, 31)).toBe(b!.slice(0, 31));
  });
  it('turns an unrepresentable branch into its hash', () => {
    expect(sanitizeBranch('日本語')).toBe(branchHash('日本語'));
    expect(sanitizeBranch('中文')).not.toBe(sanitizeBranch('日本語'));
  });
  it('returns undefined when not even the hash fits', () => {
    expect(sanitizeBranch(long300, 7)).toBeUndefined();
  });
  it('drops a trailing separator before the hash', () => {
    // 12 = 8 (hash) + 1 (dash) + 3 (prefix "ab-", whose trailing dash is dropped).
    expect(sanitizeBranch('ab-cdefghijklmnop', 12)).toBe(`ab-${branchHash('ab-cdefghijklmnop')}`);
  });
});

describe('composeTag', () => {
  it.each([
    // project, build, branch, describe, expected tag
    ['webApp', '123', 'master', '0.5.20', 'webApp-123-master-0.5.20'],
    ['webApp', '123', 'master', '0.5.20-12-gf5615cf', 'webApp-123-master-0.5.20-12-gf5615cf'],
    ['webApp', '123', 'master', 'f5615cf', 'webApp-123-master-f5615cf'],
    ['webApp', '1', 'feature/Foo_bar', '0.5.20', 'webApp-1-feature-Foo_bar-0.5.20'],
    ['webApp', '1', 'refs/heads/main', 'v1', 'webApp-1-main-v1'],
    ['webApp', '007', 'master', 'v1', 'webApp-7-master-v1'],
    ['my app', '5', 'x', 'release/2.0', 'my-app-5-x-release-2.0'],
    ['webApp', '9', '$(touch /tmp/pwned)', 'v1', 'webApp-9-touch-tmp-pwned-v1'],
    ['webApp', '9', '`reboot`', 'v1', 'webApp-9-reboot-v1'],
    ['webApp', '9', 'a "b" \'c\'', 'v1', 'webApp-9-a-b-c-v1'],
    ['webApp', '9', 'multi\nline\nbranch', 'v1', 'webApp-9-multi-line-branch-v1'],
    ['webApp', '9', 'ünïcödé/ブランチ', 'v1', 'webApp-9-unicode-v1'],
  ])('%j %j %j %j → %j', (project, buildNumber, branch, describe, expected) => {
    const { tag } = composeTag({ project, buildNumber, branch, describe });
    expect(tag).toBe(expected);
    expect(tag).toMatch(TAG_PATTERN);
  });

  it('shortens only the branch of a 300-character branch name', () => {
    const { tag, shortened } = composeTag({ project: 'webApp', buildNumber: '123', branch: long300, describe: '0.5.20-12-gf5615cf' });
    expect(shortened).toBe(true);
    expect(tag).toHaveLength(MAX_TAG_LENGTH);
    expect(tag).toMatch(TAG_PATTERN);
    expect(tag.startsWith('webApp-123-feature-xxx')).toBe(true);
    expect(tag.endsWith(`-${branchHash(long300)}-0.5.20-12-gf5615cf`)).toBe(true);
  });

  it('never gives two long branches with the same prefix the same tag', () => {
    const f = (branch: string) => composeTag({ project: 'webApp', buildNumber: '5', branch, describe: 'v1' }).tag;
    expect(f(`${long300}/one`)).not.toBe(f(`${long300}/two`));
  });

  it('fills exactly 128 characters without shortening when the branch just fits', () => {
    const fixed = 'webApp-1--v1'.length;
    const branch = 'b'.repeat(MAX_TAG_LENGTH - fixed);
    const { tag, shortened } = composeTag({ project: 'webApp', buildNumber: '1', branch, describe: 'v1' });
    expect(tag).toHaveLength(MAX_TAG_LENGTH);
    expect(shortened).toBe(false);
    const over = composeTag({ project: 'webApp', buildNumber: '1', branch: `${branch}b`, describe: 'v1' });
    expect(over.shortened).toBe(true);
    expect(over.tag).toHaveLength(MAX_TAG_LENGTH);
  });

  it.each([
    [{ project: 'p'.repeat(300), buildNumber: '1', branch: 'master', describe: 'v1' }, /--project is 300 characters after sanitizing.*cannot fit Docker's 128/],
    [{ project: 'p'.repeat(100), buildNumber: '1', branch: 'master', describe: 'v1.0.0-rc1-12-gabcdef0' }, /cannot fit Docker's 128 characters: project "p+" \(100\)/],
    [{ project: '???', buildNumber: '1', branch: 'master', describe: 'v1' }, /--project "\?\?\?" has no character/],
    [{ project: 'webApp', buildNumber: '12a', branch: 'master', describe: 'v1' }, /--build-number "12a" is not a whole number/],
    [{ project: 'webApp', buildNumber: '-1', branch: 'master', describe: 'v1' }, /--build-number "-1"/],
    [{ project: 'webApp', buildNumber: '1', branch: '  ', describe: 'v1' }, /--branch is empty/],
    [{ project: 'webApp', buildNumber: '1', branch: 'master', describe: 'v1'.repeat(70) }, /cannot fit/],
  ])('refuses %j', (facts, message) => {
    expect(() => composeTag(facts)).toThrow(UsageError);
    expect(() => composeTag(facts)).toThrow(message);
  });

  it('reports every bad argument at once', () => {
    expect(() => composeTag({ project: '!!', buildNumber: 'x', branch: '', describe: 'v1' })).toThrow(
      /--project[\s\S]*--build-number[\s\S]*--branch/,
    );
  });
});

describe('composeImage', () => {
  it.each([
    [{ project: 'webApp', tag: 't' }, 'webapp:t'],
    [{ project: 'webApp', registry: '127.0.0.1:5000', tag: 't' }, '127.0.0.1:5000/webapp:t'],
    [{ project: 'webApp', registry: 'registry.example.com/', repository: 'team/web-app', tag: 't' }, 'registry.example.com/team/web-app:t'],
    [{ project: 'x', registry: '[::1]:5000', repository: 'a__b.c', tag: 't' }, '[::1]:5000/a__b.c:t'],
  ])('%j → %j', (options, image) => {
    expect(composeImage(options).image).toBe(image);
  });

  it.each([
    [{ project: 'my app', tag: 't' }, /repository "my app" from the project name lowercased/, /--repository/],
    [{ project: 'x', repository: 'Team/App', tag: 't' }, /repository "Team\/App" from --repository/, undefined],
    [{ project: 'x', repository: 'a-/b', tag: 't' }, /not a valid Docker repository/, undefined],
    [{ project: 'x', registry: 'https://reg.example.com', tag: 't' }, /without a scheme/, undefined],
    [{ project: 'x', registry: 'reg example', tag: 't' }, /is not HOST\[:PORT\]/, undefined],
    [{ project: 'x', registry: 'reg:99999999', tag: 't' }, /is not HOST\[:PORT\]/, undefined],
  ])('refuses %j', (options, message, hint) => {
    let error: unknown;
    try {
      composeImage(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
    if (hint) expect((error as UsageError).hint).toMatch(hint);
  });
});
