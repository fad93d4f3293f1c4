/** The bench report's rendering (bench/report.mjs, pure): charts and page from results, no timing. */
import { describe, expect, it } from 'vitest';
import { describeMachine, formatValue, isBaseline, niceMax, renderCaseSvg, renderIndexHtml, type Results, type Row } from '../../bench/report.mjs';

const rows: Row[] = [
  { name: 'baseline: node -e 0 (median)', value: 40, unit: 'ms', baseline: true },
  { name: 'bbm tag <in a repo> & more', value: 55.55, unit: 'ms' },
  { name: 'marathon-lb: get_apps + config, same input', value: 'n/a', note: 'no checkout' },
  { name: 'bbm tag / node -e 0', value: 1.3888, unit: 'x', digits: 2, note: 'goal ≤ 1.5' },
];
const machine = { cpuModel: 'Test CPU', cpus: 2, node: '20.20.2', platform: 'Linux 6 x64', loadStart: [1, 2, 3], loadEnd: [0.5, 1, 1.5], date: '2026-12-02T00:00:00.000Z', commit: 'abc1234' };

describe('bench report', () => {
  it.each([
    [0, 1], [0.7, 1], [1, 1], [1.2, 2], [2.2, 2.5], [3, 5], [7, 10], [40, 50], [55.55, 100], [120, 200], [999, 1000], [1001, 2000],
  ])('niceMax(%d) = %d', (max, nice) => expect(niceMax(max)).toBe(nice));

  it.each([
    [{ name: 'baseline: node -e 0', value: 1 }, true],
    [{ name: 'marathon-lb: get_apps', value: 1 }, true],
    [{ name: 'bbm: build + render', value: 1 }, false],
    [{ name: 'bbm tag', value: 1, baseline: true }, true],
    [{ name: 'baseline: x', value: 1, baseline: false }, false],
  ] as [Row, boolean][])('isBaseline(%j) is %s', (row, expected) => expect(isBaseline(row)).toBe(expected));

  it.each([
    [{ name: 'a', value: 55.55, unit: 'ms' }, '55.5 ms'],
    [{ name: 'a', value: 1.3888, unit: 'x', digits: 2 }, '1.39 x'],
    [{ name: 'a', value: 3 }, '3.0'],
    [{ name: 'a', value: 'FAILED' }, 'FAILED'],
  ] as [Row, string][])('formatValue(%j) = %s', (row, text) => expect(formatValue(row)).toBe(text));

  it('draws one bar per ms row on one scale, baselines grey, the other rows as text; escapes names', () => {
    const svg = renderCaseSvg('tag-cold-start', rows, { machine: describeMachine(machine) });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const bars = [...svg.matchAll(/<rect x="360" y="\d+" width="([\d.]+)" height="18" fill="(#[0-9a-f]+)"\/>/g)].map((m) => [Number(m[1]), m[2]]);
    // Scale 0..100 ms over 310 px: 40 ms is 124 px (grey), 55.55 ms 172.2 px (blue).
    expect(bars).toEqual([[124, '#999'], [172.2, '#2b6cb0']]);
    expect(svg).toContain('bbm tag &lt;in a repo&gt; &amp; more');
    expect(svg).toContain('bbm tag / node -e 0: <tspan font-weight="bold">1.39 x</tspan> <tspan fill="#555">(goal ≤ 1.5)</tspan>');
    expect(svg).toContain('marathon-lb: get_apps + config, same input: <tspan font-weight="bold">n/a</tspan>');
    expect(svg).toContain('Test CPU × 2, Node 20.20.2');
    expect(svg).toContain('>100 ms</text>');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('the page shows each case chart and its rows, a failed case with its error, the machine and load', () => {
    const results: Results = { machine, cases: { 'tag-cold-start': { rows }, broken: { rows: [], error: 'boom <here>' } } };
    const html = renderIndexHtml(results);
    expect(html).toContain('<img src="tag-cold-start.svg"');
    expect(html).toContain('<tr class="baseline"><td>baseline: node -e 0 (median)</td><td class="v">40.0 ms</td>');
    expect(html).toContain('FAILED: boom &lt;here&gt;');
    expect(html).not.toContain('<img src="broken.svg"');
    expect(html).toContain('load average 1.00 2.00 3.00 at start, 0.50 1.00 1.50 at end');
    expect(html).toContain('npm run bench');
  });
});
