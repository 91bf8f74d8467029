// Renders the results of a bench run as one SVG: a panel of horizontal bars per benchmark
// and unit, drawn from the rows each benchmark prints (ratios are left to the tables).
// Our rows are drawn in the accent colour, references (other tools, plain streams) in grey.
const WIDTH = 900;
const LABEL_W = 380;
const BAR_H = 18;
const GAP = 6;
const PANEL_PAD = 34;

/** Rows measuring something other than our code. */
const REFERENCE_ROW = /reference|plain (TCP|TLS)|sha256sum|aria2c|transmission|webtorrent|opentracker|bittorrent-tracker|find \+ stat/i;

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const LOWER_IS_BETTER = new Set(['ms', 's', 'B/entry', 'MiB', '%']);
/** Rates that describe rather than rank (events per second during a transfer). */
const NEUTRAL = new Set(['frames/s', 'B/s', 'events/s']);

function panels(results) {
  const out = [];
  for (const [name, result] of Object.entries(results)) {
    if (!result || !Array.isArray(result.table)) continue;
    const byUnit = new Map();
    for (const [label, value, unit] of result.table) {
      if (typeof value !== 'number' || !unit || unit === '×') continue;
      if (!byUnit.has(unit)) byUnit.set(unit, []);
      byUnit.get(unit).push({ label: String(label), value });
    }
    for (const [unit, rows] of byUnit) out.push({ title: `${name}: ${result.title}`, unit, rows });
  }
  return out;
}

export function renderChart(results) {
  const list = panels(results);
  let y = 40;
  const parts = [];
  for (const panel of list) {
    const max = Math.max(...panel.rows.map((r) => r.value), 1);
    const better = NEUTRAL.has(panel.unit) ? '' : LOWER_IS_BETTER.has(panel.unit) ? ', lower is better' : ', higher is better';
    parts.push(`<text x="10" y="${y}" class="title">${escape(panel.title.slice(0, 120))}</text>`);
    parts.push(`<text x="10" y="${y + 15}" class="note">${escape(panel.unit)}${better}</text>`);
    y += PANEL_PAD;
    for (const row of panel.rows) {
      const w = Math.max(1, Math.round(((WIDTH - LABEL_W - 110) * row.value) / max));
      const ours = !REFERENCE_ROW.test(row.label);
      parts.push(`<text x="${LABEL_W - 8}" y="${y + BAR_H - 5}" class="label" text-anchor="end">${escape(row.label.slice(0, 60))}</text>`);
      parts.push(`<rect x="${LABEL_W}" y="${y}" width="${w}" height="${BAR_H}" class="${ours ? 'ours' : 'ref'}"/>`);
      parts.push(`<text x="${LABEL_W + w + 6}" y="${y + BAR_H - 5}" class="value">${escape(row.value.toLocaleString('en-US'))}</text>`);
      y += BAR_H + GAP;
    }
    y += 18;
  }
  const m = results.machine ?? {};
  const header = `p2pshare benchmarks (${results.mode}) · ${m.cpus ?? '?'} cores ${m.model ?? ''} · Node ${m.node ?? ''} · ${results.at ?? ''}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="system-ui, sans-serif">
<style>
  .title { font-size: 13px; font-weight: 600; fill: #222; }
  .note, .label, .value { font-size: 12px; fill: #444; }
  .ours { fill: #2f6fdf; }
  .ref { fill: #9aa3ad; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" class="title">${escape(header)}</text>
${parts.join('\n')}
</svg>
`;
}
