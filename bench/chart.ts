/**
 * The latency chart (hand-written SVG): one panel per concurrency level, latency (log scale) over
 * percentile on a "nines" axis (50, 90, 99, 99.9, 99.99, max), Tether solid and raw MQTT dashed.
 */
import { PERCENTILE_POINTS } from './stats.ts';

export interface ChartSeries {
  label: string;
  color: string;
  dashed?: boolean;
  curve: number[];
}

export interface ChartPanel {
  title: string;
  series: ChartSeries[];
}

const W = 320;
const H = 260;
const M = { left: 52, right: 12, top: 30, bottom: 40 };
const NINES_MAX = 4.3; // 99.99 is 4; max is drawn just past it

/** x position of a percentile: -log10(1 - p/100), so 90 -> 1, 99 -> 2, 99.9 -> 3. */
function nines(p: number): number {
  return p >= 100 ? NINES_MAX : Math.min(NINES_MAX, -Math.log10(1 - p / 100));
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (ms: number) => (ms >= 10 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(2));

function panel(p: ChartPanel, ox: number, yMin: number, yMax: number): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const lx = Math.log10(yMin);
  const ly = Math.log10(yMax);
  const x = (pct: number) => ox + M.left + (nines(pct) / NINES_MAX) * pw;
  const y = (ms: number) => M.top + ph - ((Math.log10(Math.max(ms, yMin)) - lx) / (ly - lx)) * ph;
  const out: string[] = [];
  out.push(`<text x="${ox + M.left + pw / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${ox + M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (let e = Math.ceil(lx); e <= Math.floor(ly); e++) {
    const v = 10 ** e;
    out.push(`<line x1="${ox + M.left}" x2="${ox + M.left + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + M.left - 4}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const [pct, label] of [
    [0, '0'],
    [50, '50'],
    [90, '90'],
    [99, '99'],
    [99.9, '99.9'],
    [99.99, '99.99'],
    [100, 'max'],
  ] as const) {
    out.push(`<line x1="${x(pct)}" x2="${x(pct)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x(pct)}" y="${M.top + ph + 14}" text-anchor="middle">${label}</text>`);
  }
  out.push(`<text x="${ox + M.left + pw / 2}" y="${H - 8}" text-anchor="middle">percentile</text>`);
  for (const s of p.series) {
    if (s.curve.length === 0) continue;
    const pts = s.curve.map((ms, i) => `${x(PERCENTILE_POINTS[i]).toFixed(1)},${y(ms).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''} points="${pts}"/>`);
  }
  return out.join('\n');
}

export function latencyChart(panels: ChartPanel[], caption: string): string {
  const all = panels.flatMap((p) => p.series.flatMap((s) => s.curve)).filter((v) => v > 0 && Number.isFinite(v));
  const yMin = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...all))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const width = W * panels.length;
  const legend = panels[0]?.series ?? [];
  const body = panels.map((p, i) => panel(p, i * W, yMin, yMax)).join('\n');
  const legendSvg = legend
    .map(
      (s, i) =>
        `<line x1="${M.left}" x2="${M.left + 28}" y1="${H + 8 + i * 15}" y2="${H + 8 + i * 15}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>` +
        `<text x="${M.left + 34}" y="${H + 12 + i * 15}">${esc(s.label)}</text>`,
    )
    .join('\n');
  const height = H + 20 + legend.length * 15;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    body,
    legendSvg,
    `<text x="${M.left}" y="${height - 6}" fill="#555">${esc(caption)}</text>`,
    `<text x="8" y="${M.top + (H - M.top - M.bottom) / 2}" transform="rotate(-90 8 ${M.top + (H - M.top - M.bottom) / 2})" text-anchor="middle" dominant-baseline="hanging">latency (ms, log)</text>`,
    `</svg>`,
    '',
  ].join('\n');
}
