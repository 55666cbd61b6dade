// Images of the space-time diagram, made in the browser: the same drawing code as the live view
// (views/spacetime-draw.js) run over the whole log into a detached SVG with its styles inlined,
// saved as SVG, or rasterised on a canvas and saved as PNG.

import { lanes, makeAxis } from './layout.js';
import { drawSpacetime } from './views/spacetime-draw.js';
import { legendSections, drawLegendSvg } from './views/legend.js';

const d3 = globalThis.d3;

export const MAX_EXPORT_EVENTS = 4000;
/** Rows in one image; a longer log is exported as the last this-many events up to the playhead. */
export const MAX_PNG_PIXELS = 120e6;
/** Canvas area browsers accept; the PNG scale is reduced to stay under it. */

const STYLE = `
svg { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; background: #fff; }
.lane { stroke: #444; stroke-width: 1.5; }
.phase-seg { opacity: 0.55; }
.interval { opacity: 0.45; }
.interval.down { opacity: 0.6; }
.partition-band { fill: #C00000; opacity: 0.07; }
.tick { font-size: 15px; fill: #222; text-anchor: end; }
.arrow .shaft { stroke-width: 2.5; fill: none; }
.arrow .hit { stroke: transparent; }
.arrow.dropped .shaft { stroke-dasharray: 3 3; }
.arrow .label { font-size: 15px; font-weight: 700; text-anchor: middle; paint-order: stroke; stroke: #fff; stroke-width: 4px; fill: #111; }
.arrow .drop-x { font-size: 20px; font-weight: 700; fill: #C00000; text-anchor: middle; }
.arrow.future, .ev.future, .mark.future { opacity: 0.3; }
.ev .hit { fill: transparent; }
.ev .glyph { stroke: #111; stroke-width: 1.2; }
.mark .band { fill: #777; opacity: 0.35; }
.mark-violation .band { opacity: 0.85; }
.mark .icon { font-size: 15px; font-weight: 700; fill: #111; }
.mark-violation .icon { fill: #C00000; }
.mark .what { font-size: 15px; font-weight: 700; fill: #C00000; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
.playhead { stroke: #000; stroke-width: 2; stroke-dasharray: 8 4; }
.head text { font-size: 18px; font-weight: 700; text-anchor: middle; fill: #111; }
.title { font-size: 18px; font-weight: 700; fill: #111; }
.legend-head { font-size: 16px; font-weight: 700; fill: #111; }
.legend-label { font-size: 15px; fill: #111; }
`;

/** Build the standalone SVG of the diagram (up to the playhead); return {svg: string, width, height}. */
export function buildSvg(ctx) {
  const { store, encoding, t } = ctx;
  const timeline = store.timeline;
  const seq = store.playhead;
  const lo = Math.max(1, seq - MAX_EXPORT_EVENTS + 1);
  const settings = ctx.spacetimeSettings ? ctx.spacetimeSettings() : { axisMode: 'seq', rowPx: 18, msPx: 1 };
  const top = 80;
  const ln = lanes(timeline.nodeOrder, { left: 96, width: Math.max(900, settings.width || 900), minWidth: 90 });
  const full = makeAxis({ mode: settings.axisMode, rowPx: settings.rowPx, msPx: settings.msPx, top, times: timeline.times });
  // Shift so the first exported row sits under the header.
  const offset = full.y(lo) - top;
  const axis = { ...full, y: (s) => full.y(s) - offset };
  const height = Math.ceil(axis.y(Math.max(lo, seq)) + 60);
  const svg = d3.create('svg').attr('xmlns', 'http://www.w3.org/2000/svg')
    .attr('width', ln.width + 20).attr('height', height).attr('viewBox', `0 0 ${ln.width + 20} ${height}`);
  svg.append('style').text(STYLE);
  svg.append('rect').attr('width', '100%').attr('height', '100%').attr('fill', '#fff');
  const defs = svg.append('defs');
  svg.append('text').attr('class', 'title').attr('x', 16).attr('y', 26)
    .text(`${store.protocol} ${store.sessionId || store.importName || ''} — ${t('common.seq')} ${lo}–${seq}`);
  const head = svg.append('g').attr('class', 'head');
  for (const name of timeline.nodeOrder) head.append('text').attr('x', ln.xs.get(name)).attr('y', 60).text(name);
  drawSpacetime(svg.append('g'), {
    timeline, seq, lo, hi: seq, axis, xs: ln.xs, laneWidth: ln.laneWidth, left: 96, width: ln.width,
    encoding, t, interactive: null, defs, idPrefix: 'x', showPlayhead: false,
  });
  // The legend under the diagram: the picture explains its own markers and colours.
  const legendHeight = drawLegendSvg(svg, { x: 16, y: height + 10, width: ln.width - 12 }, legendSections(timeline, encoding, t), t);
  const total = Math.ceil(height + 20 + legendHeight);
  svg.attr('height', total).attr('viewBox', `0 0 ${ln.width + 20} ${total}`);
  const text = new XMLSerializer().serializeToString(svg.node());
  return { svg: text, width: ln.width + 20, height: total };
}

/** Save the diagram as an SVG file. */
export function exportSvg(ctx, filename) {
  const { svg } = buildSvg(ctx);
  download(new Blob([svg], { type: 'image/svg+xml' }), filename);
}

/** Save the diagram as a PNG file (twice the screen scale, within canvas limits). */
export async function exportPng(ctx, filename) {
  const { svg, width, height } = buildSvg(ctx);
  const scale = Math.max(0.25, Math.min(2, Math.sqrt(MAX_PNG_PIXELS / (width * height))));
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    await new Promise((resolve, reject) => { img.onload = resolve; img.onerror = () => reject(new Error('the SVG did not load')); img.src = url; });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.setTransform(scale, 0, 0, scale, 0, 0);
    g.drawImage(img, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('the image is too large for this browser');
    download(blob, filename);
  } finally {
    URL.revokeObjectURL(url);
  }
}

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 2000);
}
