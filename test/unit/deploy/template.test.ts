import { describe, expect, it } from 'vitest';
import { fillTemplate, imageRefProblems, parseImageRef, type BuildFacts } from '../../../src/deploy/template.js';

const facts: BuildFacts = {
  image: '127.0.0.1:5000/web:web-12-main-0.5.20-3-gabc1234',
  project: 'web',
  buildNumber: '12',
  branch: 'main',
  commit: 'abc1234def',
  describe: '0.5.20-3-gabc1234',
  buildUrl: 'http://buildbot/#/builders/1/builds/12',
};

describe('fillTemplate', () => {
  it.each<[string, string]>([
    ['${image}', facts.image],
    ['${tag}', 'web-12-main-0.5.20-3-gabc1234'],
    ['${repository}', 'web'],
    ['${project}-${buildNumber}', 'web-12'],
    ['${branch}@${commit}', 'main@abc1234def'],
    ['${describe}', '0.5.20-3-gabc1234'],
    ['${buildUrl}', 'http://buildbot/#/builders/1/builds/12'],
    ['127.0.0.1:5000/$project_tag', facts.image],
    ['echo $PORT0 $HOST', 'echo $PORT0 $HOST'],
    ['echo $${PORT0}', 'echo ${PORT0}'],
    ['$${image} is ${image}', '${image} is ' + facts.image],
    ['no placeholders', 'no placeholders'],
  ])('%s → %s', (input, expected) => {
    const r = fillTemplate({ s: input }, facts);
    expect(r.problems).toEqual([]);
    expect((r.value as { s: string }).s).toBe(expected);
  });

  it.each<[unknown, string, RegExp]>([
    [{ cmd: '${nope}' }, '/cmd', /unknown placeholder \$\{nope\}/],
    [{ a: ['x', { b: '${PORT0}' }] }, '/a(1)/b', /unknown placeholder \$\{PORT0\}.*\$\$\{PORT0\}/],
    [{ cmd: 'echo ${image' }, '/cmd', /unclosed/],
    [{ labels: { c: '${commit}' } }, '/labels/c', /--commit \/ BBM_COMMIT/],
  ])('%j: problem at %s', (template, path, message) => {
    const r = fillTemplate(template, { image: 'web:1' });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]?.path).toBe(path);
    expect(r.problems[0]?.message).toMatch(message);
  });

  it('collects every problem, not just the first', () => {
    const r = fillTemplate({ a: '${x}', b: ['${y}', '${branch}'] }, { image: 'web:1' });
    expect(r.problems.map((p) => p.path)).toEqual(['/a', '/b(0)', '/b(1)']);
  });

  it('values with quotes, newlines and shell metacharacters stay data', () => {
    const hostile = '"; rm -rf / #\n$(reboot)`id`';
    const r = fillTemplate({ cmd: 'echo ${branch}', labels: { b: '${branch}' } }, { image: 'web:1', branch: hostile });
    expect(r.value).toEqual({ cmd: `echo ${hostile}`, labels: { b: hostile } });
    // the document keeps its shape: exactly two keys, and JSON round-trips it
    expect(JSON.parse(JSON.stringify(r.value))).toEqual(r.value);
  });

  it('leaves numbers, booleans and null alone and never touches keys', () => {
    const r = fillTemplate({ '${image}': 1, n: null, b: true, l: [1.5] }, facts);
    expect(r.value).toEqual({ '${image}': 1, n: null, b: true, l: [1.5] });
  });

  it('reports the legacy $project_tag', () => {
    expect(fillTemplate({ container: { docker: { image: 'r.example.com/$project_tag' } } }, { image: 'r.example.com/web:1' }).legacy).toEqual(['/container/docker/image']);
  });
});

describe('image references', () => {
  it.each([
    ['web:1', { repository: 'web', tag: '1' }],
    ['127.0.0.1:5000/team/web:web-1', { registry: '127.0.0.1:5000', repository: 'team/web', tag: 'web-1' }],
    ['localhost/web', { registry: 'localhost', repository: 'web' }],
    ['r.example.com/web@sha256:' + 'a'.repeat(64), { registry: 'r.example.com', repository: 'web', digest: 'sha256:' + 'a'.repeat(64) }],
  ])('%s', (ref, parts) => {
    expect(parseImageRef(ref)).toEqual(parts);
    expect(imageRefProblems(ref)).toEqual([]);
  });

  it.each(['registry.example.com/$project_tag', 'Web:1', 'web:bad tag', 'web:-x', '', 'web:${tag}'])('%j is rejected', (ref) => {
    expect(imageRefProblems(ref).length).toBeGreaterThan(0);
  });
});
