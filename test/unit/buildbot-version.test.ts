import { describe, expect, it } from 'vitest';
import { buildbotVersionProblem, compatibleRange, formatVersion, hasFeature, parseBuildbotVersion, type BuildbotFeature } from '../../src/config/buildbot-version.js';

const v = (text: string) => parseBuildbotVersion(text)!;

describe('Buildbot versions', () => {
  it.each([
    ['4.3', '4.3'],
    ['4.3.0', '4.3'],
    [' 3.7.0 ', '3.7'],
    ['3.7.0.post2', '3.7'],
    ['4.0.0rc1', '4.0'],
    ['10.12', '10.12'],
  ])('parses %j as %s', (text, expected) => expect(formatVersion(v(text))).toBe(expected));

  it.each(['', '4', 'latest', 'v4.3', '4.x', '4.3.0-2; rm'])('refuses %j', (text) => expect(parseBuildbotVersion(text)).toBeUndefined());

  it.each([
    ['3.6', /older than the oldest supported, 3.7/],
    ['5.0', /newer than the 4.x series/],
    ['four', /not a Buildbot version/],
  ])('%s is not a target', (text, message) => expect(buildbotVersionProblem(text)).toMatch(message));

  it.each(['3.7', '3.9', '4.0', '4.3', '4.9'])('%s is a target', (text) => expect(typeof buildbotVersionProblem(text)).toBe('object'));

  // version → [git fetch tags, hidden force priority, c['projects']]
  it.each([
    ['3.7', [false, false, false]],
    ['3.8', [false, false, false]],
    ['3.9', [false, true, true]],
    ['3.11', [false, true, true]],
    ['4.0', [false, true, true]],
    ['4.1', [true, true, true]],
    ['4.3', [true, true, true]],
  ] as const)('%s needs %j', (text, expected) => {
    const features: BuildbotFeature[] = ['gitFetchTags', 'forcePriority', 'projects'];
    expect(features.map((f) => hasFeature(v(text), f))).toEqual(expected);
  });

  // The versions a file generated for X is right for: [from, below) between feature thresholds.
  it.each([
    ['3.7', '3.7', '3.9'],
    ['3.8', '3.7', '3.9'],
    ['3.9', '3.9', '4.1'],
    ['4.0', '3.9', '4.1'],
    ['4.1', '4.1', null],
    ['4.3', '4.1', null],
  ] as const)('a file for %s is right from %s to before %s', (text, from, below) => {
    const r = compatibleRange(v(text));
    expect([formatVersion(r.from), r.below && formatVersion(r.below)]).toEqual([from, below]);
  });
});
