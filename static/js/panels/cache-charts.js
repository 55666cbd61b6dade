// Two small charts computed from the log up to the playhead: the cumulative hit ratio after each
// answered read, and every stale read as a stem as tall as its age (how long the value it
// returned had been overwritten). Shared by the four cache policies; the numbers come from
// cache-model.js (pure, tested), folded through the timeline's checkpoints.

import { h, fill } from '../dom.js';
import { PALETTE } from '../protocols/palette.js';
import { CACHE_READS, figures, hitRatioSeries, linear, niceMax, stalenessSeries, stepPath } from './cache-model.js';
import { STYLE, definePanel, svg } from './define.js';

const WIDTH = 640;
const HEIGHT = 150;
const PAD = { left: 64, right: 16, top: 14, bottom: 28 };
const FONT = 16;

function axes(root, x, y, endTime, yMax, yLabel) {
  const x0 = PAD.left;
  const y0 = HEIGHT - PAD.bottom;
  root.append(svg('line', { x1: x0, y1: y0, x2: WIDTH - PAD.right, y2: y0, stroke: '#000' }));
  root.append(svg('line', { x1: x0, y1: PAD.top, x2: x0, y2: y0, stroke: '#000' }));
  root.append(svg('text', { x: x0 - 6, y: y(yMax) + 5, 'text-anchor': 'end', 'font-size': FONT }, yLabel(yMax)));
  root.append(svg('text', { x: x0 - 6, y: y0, 'text-anchor': 'end', 'font-size': FONT }, yLabel(0)));
  root.append(svg('text', { x: WIDTH - PAD.right, y: HEIGHT - 6, 'text-anchor': 'end', 'font-size': FONT },
    `${endTime} ms`));
  root.append(svg('text', { x: x0, y: HEIGHT - 6, 'font-size': FONT }, '0'));
}

function drawRatio(root, points, endTime, now) {
  root.replaceChildren();
  const x = linear([0, endTime], [PAD.left, WIDTH - PAD.right]);
  const y = linear([0, 1], [HEIGHT - PAD.bottom, PAD.top]);
  axes(root, x, y, endTime, 1, (v) => `${Math.round(v * 100)}%`);
  if (points.length) {
    root.append(svg('path', { d: stepPath(points, x, y, now), fill: 'none', stroke: PALETTE.blue, 'stroke-width': 3 }));
  }
  root.append(svg('line', { x1: x(now), y1: PAD.top, x2: x(now), y2: HEIGHT - PAD.bottom, stroke: PALETTE.grey,
    'stroke-dasharray': '4 4' }));
}

function drawStale(root, points, endTime, now) {
  root.replaceChildren();
  const top = niceMax(points.reduce((m, p) => Math.max(m, p.y), 0), 10);
  const x = linear([0, endTime], [PAD.left, WIDTH - PAD.right]);
  const y = linear([0, top], [HEIGHT - PAD.bottom, PAD.top]);
  axes(root, x, y, endTime, top, (v) => `${v} ms`);
  for (const p of points) {
    root.append(svg('line', { x1: x(p.x), y1: y(0), x2: x(p.x), y2: y(p.y), stroke: PALETTE.vermillion, 'stroke-width': 4 }));
    root.append(svg('text', { x: x(p.x), y: y(p.y) - 3, 'text-anchor': 'middle', 'font-size': FONT - 2,
      fill: PALETTE.vermillion }, '!'));
  }
  root.append(svg('line', { x1: x(now), y1: PAD.top, x2: x(now), y2: HEIGHT - PAD.bottom, stroke: PALETTE.grey,
    'stroke-dasharray': '4 4' }));
}

/** The panel entry an encoding table lists: the reads folded through the timeline, charted. */
export const chartsPanel = definePanel({
  id: 'cache-charts',
  labelKey: 'cache.charts',
  label: 'Hits and staleness',
  folds: { reads: CACHE_READS },
  mount(el, { tr }) {
    const summary = h('p', { class: 'cache-charts-summary', style: STYLE.summary });
    const make = (key, label) => {
      const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: '100%', role: 'img', 'aria-label': tr(key, label) });
      return { root, box: h('figure', { style: 'margin:.4em 0' }, h('figcaption', { style: 'font-size:1.1rem;font-weight:600' },
        tr(key, label)), root) };
    };
    const ratio = make('cache.charts.hitRatio', 'Hit ratio (all reads so far)');
    const stale = make('cache.charts.staleness', 'Stale reads: how old the value was (ms)');
    el.append(h('div', { class: 'cache-charts' }, summary, ratio.box, stale.box));
    return { summary, ratio: ratio.root, stale: stale.root };
  },
  draw({ summary, ratio, stale }, { snap, tr, folds, timeline }) {
    const acc = folds.reads; // the reads up to the playhead
    const endTime = Math.max(timeline.lastTime || 0, snap.time, 1);
    const f = figures(acc, snap.seq);
    fill(summary, tr('cache.charts.summary', '{reads} reads · hit ratio {ratio} · {stale} stale (oldest {max} ms)', {
      reads: f.reads, ratio: f.hitRatio === null ? '—' : `${Math.round(f.hitRatio * 100)}%`,
      stale: f.staleReads, max: f.maxStaleness,
    }));
    drawRatio(ratio, hitRatioSeries(acc.reads, snap.seq), endTime, snap.time);
    drawStale(stale, stalenessSeries(acc.stale, snap.seq), endTime, snap.time);
  },
});
