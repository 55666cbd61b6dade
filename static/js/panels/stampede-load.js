// The stampede's database load over time: how many reads of the hot key are at the database (queued
// or running) at each moment, a step line up to the playhead, and the most at once so far. The number
// is the length of the database's own queue as its state events record it (stampede_db keeps every
// read it holds there): the browser counts nothing the protocol did not write down.

import { h, fill } from '../dom.js';
import { PALETTE } from '../protocols/palette.js';
import { linear, stepPath } from './cache-model.js';
import { STYLE, definePanel, svg } from './define.js';

const WIDTH = 640;
const HEIGHT = 170;
const PAD = { left: 48, right: 16, top: 14, bottom: 28 };
const FONT = 16;

/** The database's queue length after each change, and the most at once: folded over the log. */
export const DB_LOAD = {
  init: () => ({ points: [], peak: 0, clients: 0 }),
  step(acc, e) {
    if (e.kind === 'start' && e.role === 'client') acc.clients += 1;
    let n = null;
    if (e.kind === 'state' && e.node === 'db' && e.state && Array.isArray(e.state.queue)) n = e.state.queue.length;
    if (e.kind === 'crash' && e.node === 'db') n = 0; // the queued reads die with it
    const last = acc.points[acc.points.length - 1];
    if (n !== null && (!last || last.y !== n)) {
      acc.points.push({ x: e.time, y: n, seq: e.seq });
      acc.peak = Math.max(acc.peak, n);
    }
    return acc;
  },
  copy: (acc) => ({ points: [...acc.points], peak: acc.peak, clients: acc.clients }),
};

/** Return the load points at or before `upToSeq`, starting from zero at time 0, and the load there. */
export function loadSeries(points, upToSeq) {
  const shown = [{ x: 0, y: 0 }, ...points.filter((p) => p.seq <= upToSeq)];
  return { points: shown, now: shown[shown.length - 1].y, peak: Math.max(...shown.map((p) => p.y)) };
}

function draw(root, series, top, endTime, now) {
  root.replaceChildren();
  const x = linear([0, endTime], [PAD.left, WIDTH - PAD.right]);
  const y = linear([0, top], [HEIGHT - PAD.bottom, PAD.top]);
  const x0 = PAD.left;
  const y0 = HEIGHT - PAD.bottom;
  for (let v = 1; v <= top; v += 1) {
    root.append(svg('line', { x1: x0, y1: y(v), x2: WIDTH - PAD.right, y2: y(v), stroke: '#ddd' }));
  }
  root.append(svg('line', { x1: x0, y1: y0, x2: WIDTH - PAD.right, y2: y0, stroke: '#000' }));
  root.append(svg('line', { x1: x0, y1: PAD.top, x2: x0, y2: y0, stroke: '#000' }));
  root.append(svg('text', { x: x0 - 6, y: y(top) + 5, 'text-anchor': 'end', 'font-size': FONT }, String(top)));
  root.append(svg('text', { x: x0 - 6, y: y(1) + 5, 'text-anchor': 'end', 'font-size': FONT }, '1'));
  root.append(svg('text', { x: x0 - 6, y: y0, 'text-anchor': 'end', 'font-size': FONT }, '0'));
  root.append(svg('text', { x: WIDTH - PAD.right, y: HEIGHT - 6, 'text-anchor': 'end', 'font-size': FONT },
    `${endTime} ms`));
  root.append(svg('text', { x: x0, y: HEIGHT - 6, 'font-size': FONT }, '0'));
  const d = stepPath(series.points, x, y, now);
  root.append(svg('path', { d: `${d}V${y(0).toFixed(1)}H${x(0).toFixed(1)}Z`, fill: PALETTE.black, 'fill-opacity': 0.15,
    stroke: 'none' }));
  root.append(svg('path', { d, fill: 'none', stroke: PALETTE.black, 'stroke-width': 3 }));
  root.append(svg('line', { x1: x(now), y1: PAD.top, x2: x(now), y2: y0, stroke: PALETTE.grey, 'stroke-dasharray': '4 4' }));
}

/** The panel entry the stampede's encoding table lists. */
export const loadPanel = definePanel({
  id: 'stampede-load',
  labelKey: 'stampede.load',
  label: 'Database load',
  folds: { load: DB_LOAD },
  mount(el, { tr }) {
    const summary = h('p', { class: 'stampede-load-summary', style: STYLE.summary });
    const caption = tr('stampede.load.chart', 'Reads of the hot key at the database (queued or running)');
    const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: '100%', role: 'img', 'aria-label': caption });
    el.append(h('div', { class: 'stampede-load' }, summary, h('figure', { style: 'margin:.4em 0' },
      h('figcaption', { style: 'font-size:1.1rem;font-weight:600' }, caption), root)));
    return { summary, root };
  },
  draw({ summary, root }, { snap, tr, folds, timeline }) {
    const acc = folds.load;
    const series = loadSeries(acc.points, snap.seq);
    const endTime = Math.max(timeline.lastTime || 0, snap.time, 1);
    fill(summary, tr('stampede.load.summary', 'At the database now: {now} · most at once: {peak}',
      { now: series.now, peak: series.peak }));
    draw(root, series, Math.max(acc.clients, series.peak, 1), endTime, snap.time);
  },
});
