// The counter's value over time against the true count: an SVG line chart drawn up to the playhead.
//
// One step line per store node (its value, blue), one for the true count (the increments
// acknowledged to their clients, black, dashed), and a red ✕ at every write that overwrote an
// acknowledged increment (the lost-update detector's cause; its tooltip says which). Where the
// blue line runs below the dashed one, acknowledged increments are missing from the counter
// (a lost increment can come back: a client whose read still had it writes it back).
// The history is a fold of counters-model.js (pure, tested) that the timeline checkpoints; this
// file only draws.

import { h, fill } from '../dom.js';
import { PALETTE, VIOLATION } from '../protocols/palette.js';
import { COUNTER_HISTORY, linear, niceMax, stepPath } from './counters-model.js';
import { STYLE, definePanel, svg } from './define.js';
import { violationText } from '../findings.js';

const WIDTH = 680;
const HEIGHT = 280;
const PAD = { left: 56, right: 20, top: 18, bottom: 34 };
const STORE_COLOURS = [PALETTE.blue, PALETTE.sky, PALETTE.purple];

function label(x, y, text, anchor = 'start', fillColour = '#111', size = 16) {
  return svg('text', { x, y, 'text-anchor': anchor, 'font-size': size, fill: fillColour }, text);
}

/** Return a legend swatch: a short line in `colour`, dashed like the line it names. */
export function swatch(colour, dashed = false) {
  return h('span', { style: `display:inline-block;width:24px;margin-right:6px;vertical-align:middle;`
    + `border-top:5px ${dashed ? 'dashed' : 'solid'} ${colour}` });
}

/** The panel entry an encoding table lists: the counter's history folded through the timeline, drawn. */
export const countersValuePanel = definePanel({
  id: 'counters-value',
  labelKey: 'counters.value.tab',
  label: 'Counter value',
  folds: { history: COUNTER_HISTORY },
  mount(el, { tr }) {
    const parts = {
      summary: h('p', { class: 'counters-summary', style: STYLE.chartSummary }),
      key: h('ul', { class: 'counters-legend', style: STYLE.legend }),
      root: svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: '100%', role: 'img',
        'aria-label': tr('counters.value.title', 'Counter value against the true count') }),
    };
    el.append(h('figure', { class: 'counters-value', style: 'margin:0' },
      h('figcaption', { style: STYLE.caption }, tr('counters.value.title',
        'Counter value against the true count')), parts.summary, parts.key, parts.root));
    return parts;
  },
  draw({ summary, key, root }, { snap, ctx, tr, folds, timeline }) {
    const history = folds.history;
    const endTime = Math.max(timeline.lastTime || 0, history.endTime, 1);
    const values = [...Object.values(history.stores).flat().map((p) => p.v), ...history.acked.map((p) => p.v)];
    const top = niceMax(Math.max(0, ...values), 4);
    const x = linear([0, endTime], [PAD.left, WIDTH - PAD.right]);
    const y = linear([0, top], [HEIGHT - PAD.bottom, PAD.top]);
    const now = Math.min(snap.time, endTime);
    const parts = [
      svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0), stroke: '#444' }),
      svg('line', { x1: PAD.left, x2: PAD.left, y1: y(0), y2: y(top), stroke: '#444' }),
      label(PAD.left - 8, y(top) + 6, String(top), 'end'),
      label(PAD.left - 8, y(0) + 5, '0', 'end'),
      label(PAD.left, HEIGHT - 8, '0 ms'),
      label(WIDTH - PAD.right, HEIGHT - 8, `${endTime} ms`, 'end'),
      svg('line', { x1: x(now), x2: x(now), y1: y(0), y2: y(top), stroke: '#777', 'stroke-dasharray': '3 3' }),
    ];
    const legend = [];
    const acked = history.acked[history.acked.length - 1].v;
    parts.push(svg('path', { d: stepPath(history.acked, x, y, now), fill: 'none', stroke: PALETTE.black,
      'stroke-width': 3, 'stroke-dasharray': '8 5' }));
    legend.push([PALETTE.black, tr('counters.value.true', 'true count (acknowledged) {n}', { n: acked }), true]);
    Object.entries(history.stores).forEach(([node, points], i) => {
      const colour = STORE_COLOURS[i % STORE_COLOURS.length];
      parts.push(svg('path', { d: stepPath(points, x, y, now), fill: 'none', stroke: colour, 'stroke-width': 4 }));
      legend.push([colour, tr('counters.value.store', '{node} value {v}', { node, v: points[points.length - 1].v })]);
    });
    for (const mark of history.lost) {
      const cy = y(mark.v ?? 0);
      parts.push(label(x(mark.t), cy + 7, '✕', 'middle', VIOLATION, 22));
      const tip = svg('title', {}, violationText(mark, ctx.catalogue));
      parts[parts.length - 1].append(tip);
    }
    if (history.lost.length) {
      legend.push([VIOLATION, tr('counters.value.lost', '✕ a write that overwrote an acknowledged increment ({n})',
        { n: history.lost.length })]);
    }
    root.replaceChildren(...parts);
    fill(key, legend.map(([colour, text, dashed]) => h('li', {}, swatch(colour, dashed), text)));
    const finals = Object.values(history.stores).map((p) => p[p.length - 1].v);
    const value = finals.length ? Math.max(...finals) : 0;
    fill(summary, tr('counters.value.summary', 'Acknowledged increments: {acked} · counter: {value} · missing: {missing}',
      { acked, value, missing: Math.max(0, acked - value) }));
  },
});
