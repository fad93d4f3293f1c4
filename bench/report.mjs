// The bench report (pure): results → one SVG bar chart per case and an index.html that shows them.
// Hand-written SVG, no chart library. Rows in milliseconds are bars on one scale per case, baselines
// (what bbm is compared against, measured in the same run) in grey beside bbm's in blue; ratio and
// other rows are listed under the chart. test/unit/bench-report.test.ts checks this file.

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A row measured for comparison, not of bbm: `baseline: true`, or named so by the case. */
export const isBaseline = (row) => row.baseline ?? /^(baseline\b|marathon-lb\b|buildbot-worker\b|node -e 0\b)/i.test(row.name);

/** How a row's value reads in the report. */
export function formatValue(row) {
  if (typeof row.value !== 'number') return String(row.value);
  return `${row.value.toFixed(row.digits ?? 1)}${row.unit ? ` ${row.unit}` : ''}`;
}

/** A "nice" axis maximum: 1, 2, 2.5 or 5 times a power of ten, at or above max. */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

const WIDTH = 760;
const LABEL = 360;
const BAR_H = 18;
const GAP = 8;
const TOP = 34;

/** One case's chart: bars for the rows in ms (baselines grey), the other rows as text lines. */
export function renderCaseSvg(name, rows, { machine } = {}) {
  const bars = rows.filter((r) => r.unit === 'ms' && typeof r.value === 'number' && Number.isFinite(r.value));
  const notes = rows.filter((r) => !bars.includes(r));
  const max = niceMax(Math.max(0, ...bars.map((r) => r.value)));
  const plot = WIDTH - LABEL - 90;
  const barsH = bars.length * (BAR_H + GAP);
  const height = TOP + barsH + 26 + notes.length * 18 + (machine ? 22 : 6);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(name)}</title>`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="8" y="20" font-size="15" font-weight="bold">${esc(name)}</text>`);
  out.push(`<text x="${WIDTH - 8}" y="20" text-anchor="end" fill="#555"><tspan fill="#2b6cb0">■</tspan> bbm  <tspan fill="#999">■</tspan> baseline (same run)</text>`);
  bars.forEach((r, i) => {
    const y = TOP + i * (BAR_H + GAP);
    const w = Math.max(1, (r.value / max) * plot);
    out.push(`<text x="${LABEL - 8}" y="${y + 13}" text-anchor="end">${esc(r.name)}</text>`);
    out.push(`<rect x="${LABEL}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${isBaseline(r) ? '#999' : '#2b6cb0'}"/>`);
    out.push(`<text x="${(LABEL + w + 4).toFixed(1)}" y="${y + 13}">${esc(formatValue(r))}</text>`);
  });
  const axisY = TOP + barsH;
  out.push(`<line x1="${LABEL}" y1="${axisY}" x2="${LABEL + plot}" y2="${axisY}" stroke="#333"/>`);
  for (let k = 0; k <= 4; k++) {
    const x = LABEL + (plot * k) / 4;
    out.push(`<line x1="${x}" y1="${axisY}" x2="${x}" y2="${axisY + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${axisY + 16}" text-anchor="middle" fill="#333">${+(max * k / 4).toPrecision(3)} ms</text>`);
  }
  notes.forEach((r, i) => {
    const y = axisY + 38 + i * 18;
    out.push(`<text x="8" y="${y}">${esc(r.name)}: <tspan font-weight="bold">${esc(formatValue(r))}</tspan>${r.note ? ` <tspan fill="#555">(${esc(r.note)})</tspan>` : ''}</text>`);
  });
  if (machine) out.push(`<text x="8" y="${height - 8}" fill="#555" font-size="11">${esc(machine)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** One line naming the machine and the load a run was made under. */
export function describeMachine(m) {
  return `${m.cpuModel} × ${m.cpus}, Node ${m.node}, ${m.platform}; load average ${m.loadStart.map((l) => l.toFixed(2)).join(' ')} at start, ${m.loadEnd.map((l) => l.toFixed(2)).join(' ')} at end; ${m.date}${m.commit ? `, commit ${m.commit}` : ''}`;
}

/** The page a person opens: every case's chart and its rows as a table. */
export function renderIndexHtml(results) {
  const machine = describeMachine(results.machine);
  const sections = Object.entries(results.cases).map(([name, c]) => {
    const table = c.error
      ? `<p class="failed">FAILED: ${esc(c.error)}</p>`
      : `<img src="${esc(name)}.svg" alt="${esc(name)} chart"><table>${c.rows.map((r) => `<tr${isBaseline(r) ? ' class="baseline"' : ''}><td>${esc(r.name)}</td><td class="v">${esc(formatValue(r))}</td><td>${esc(r.note ?? '')}</td></tr>`).join('')}</table>`;
    return `<section><h2>${esc(name)}</h2>${table}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bbm bench</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}td{padding:2px 8px;border-bottom:1px solid #eee}td.v{text-align:right;white-space:nowrap}tr.baseline{color:#666}.failed{color:#b00}img{max-width:100%}</style>
</head><body><h1>bbm bench</h1><p>${esc(machine)}</p><p>Reproduce: <code>npm run bench</code> (or <code>npm run bench -- CASE…</code>); results.json holds the numbers.</p>
${sections.join('\n')}
</body></html>
`;
}
