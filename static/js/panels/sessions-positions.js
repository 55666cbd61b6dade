// Session guarantees' panel: log positions over time. The primary's head (black), each replica's applied
// position (a solid line in its colour) and each client session's position, the furthest it has written
// or seen, which is the token its reads carry with guarantee=session-token (dashed). A read answered by a
// replica whose line is below the reader's dashed line is the anomaly's picture; the checker's verdicts
// are marked where it reported them (✕ at the answering node's applied position, from the finding's
// data). Everything comes from recorded states, start events and violations: nothing is computed again.

import { h, fill } from '../dom.js';
import { PALETTE, CYCLE, VIOLATION } from '../protocols/palette.js';
import { linear, niceMax } from './chart.js';
import { STYLE, definePanel, svg } from './define.js';

const WIDTH = 640;
const HEIGHT = 170;
const PAD = { left: 44, right: 16, top: 14, bottom: 28 };
const FONT = 16;

/** The position a node's recorded state stands at, by its role (null: nothing to draw). */
function positionOf(role, state) {
  if (!state) return null;
  if (role === 'primary' && Array.isArray(state.log)) return state.log.length;
  if (role === 'replica' && typeof state.applied === 'number') return state.applied;
  if (role === 'client' && typeof state.written === 'number') return Math.max(state.written, state.seen || 0);
  return null;
}

/** Each node's position after each change, the roles from the start events, and the checker's marks. */
export const POSITIONS = {
  init: () => ({ roles: {}, order: [], series: {}, marks: [], top: 0 }),
  step(acc, e) {
    if (e.kind === 'start' && e.role && !(e.node in acc.roles)) {
      acc.roles[e.node] = e.role;
      acc.order.push(e.node);
      acc.series[e.node] = [];
    }
    if (e.kind === 'state' && e.node in acc.roles) {
      const y = positionOf(acc.roles[e.node], e.state);
      const line = acc.series[e.node];
      const last = line[line.length - 1];
      if (y !== null && (!last || last.y !== y)) {
        line.push({ x: e.time, y, seq: e.seq });
        acc.top = Math.max(acc.top, y);
      }
    }
    const data = e.kind === 'violation' && e.finding && e.finding.data;
    if (data && typeof data.applied === 'number') {
      acc.marks.push({ x: e.time, y: data.applied, seq: e.seq, node: String(data.replica) });
    }
    return acc;
  },
  copy: (acc) => ({ roles: { ...acc.roles }, order: [...acc.order], marks: [...acc.marks], top: acc.top,
    series: Object.fromEntries(Object.entries(acc.series).map(([k, v]) => [k, [...v]])) }),
};

/** Return a node's points at or before `upToSeq`, from 0 at time 0, and where it stands there. */
export function seriesAt(points, upToSeq) {
  const shown = [{ x: 0, y: 0 }, ...points.filter((p) => p.seq <= upToSeq)];
  return { points: shown, now: shown[shown.length - 1].y };
}

/** Return each drawn line's look: the primary black and thick, replicas solid, clients dashed. */
export function looks(order, roles) {
  const others = order.filter((n) => roles[n] !== 'primary');
  return Object.fromEntries(order.map((n) => [n, roles[n] === 'primary'
    ? { colour: PALETTE.black, width: 4, dash: null }
    : { colour: CYCLE[others.indexOf(n) % CYCLE.length], width: roles[n] === 'client' ? 2.5 : 3.5,
      dash: roles[n] === 'client' ? '7 5' : null }]));
}

function path(points, x, y, endX) {
  let d = `M${x(points[0].x).toFixed(1)},${y(points[0].y).toFixed(1)}`;
  for (let i = 1; i < points.length; i += 1) d += `H${x(points[i].x).toFixed(1)}V${y(points[i].y).toFixed(1)}`;
  return `${d}H${x(Math.max(endX, points[points.length - 1].x)).toFixed(1)}`;
}

function chart(root, lines, marks, top, endTime, now) {
  root.replaceChildren();
  const x = linear([0, endTime], [PAD.left, WIDTH - PAD.right]);
  const y = linear([0, top], [HEIGHT - PAD.bottom, PAD.top]);
  const y0 = HEIGHT - PAD.bottom;
  for (const v of [...new Set([0, Math.round(top / 2), top])]) {
    root.append(svg('line', { x1: PAD.left, y1: y(v), x2: WIDTH - PAD.right, y2: y(v), stroke: '#ddd' }));
    root.append(svg('text', { x: PAD.left - 6, y: y(v) + 5, 'text-anchor': 'end', 'font-size': FONT }, String(v)));
  }
  root.append(svg('line', { x1: PAD.left, y1: y0, x2: WIDTH - PAD.right, y2: y0, stroke: '#000' }));
  root.append(svg('text', { x: WIDTH - PAD.right, y: HEIGHT - 6, 'text-anchor': 'end', 'font-size': FONT },
    `${endTime} ms`));
  for (const { points, look } of lines) {
    root.append(svg('path', { d: path(points, x, y, now), fill: 'none', stroke: look.colour,
      'stroke-width': look.width, ...(look.dash ? { 'stroke-dasharray': look.dash } : {}) }));
  }
  for (const m of marks) {
    root.append(svg('text', { x: x(m.x), y: y(m.y) + 7, 'text-anchor': 'middle', 'font-size': 22,
      'font-weight': 700, fill: VIOLATION }, '✕'));
  }
  root.append(svg('line', { x1: x(now), y1: PAD.top, x2: x(now), y2: y0, stroke: PALETTE.grey, 'stroke-dasharray': '4 4' }));
}

function legendItem(tr, node, role, look, now) {
  const words = {
    primary: () => tr('sessions.positions.head', '{node}: log head {pos}', { node, pos: now }),
    replica: () => tr('sessions.positions.applied', '{node}: applied to {pos}', { node, pos: now }),
    client: () => tr('sessions.positions.session', '{node}: session at {pos}', { node, pos: now }),
  };
  const swatch = h('span', { style: `display:inline-block;width:26px;height:0;vertical-align:middle;margin-right:6px;`
    + `border-top:${look.width}px ${look.dash ? 'dashed' : 'solid'} ${look.colour}` });
  return h('li', { class: 'sessions-position', dataset: { node, role, pos: String(now) } }, swatch,
    (words[role] || words.client)());
}

/** The panel entry session-guarantees' encoding table lists. */
export const sessionsPositionsPanel = definePanel({
  id: 'sessions-positions', labelKey: 'sessions.positions.tab', label: 'Log positions', folds: { acc: POSITIONS },
  mount(el, { tr }) {
    const caption = tr('sessions.positions.chart',
      'Log positions over time: replicas applied (solid), sessions written or seen (dashed)');
    const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: '100%', role: 'img', 'aria-label': caption });
    const legend = h('ul', { style: STYLE.legend });
    const note = h('p', { style: STYLE.line });
    el.append(h('div', { class: 'sessions-positions' }, legend, h('figure', { style: 'margin:.4em 0' },
      h('figcaption', { style: 'font-size:1.1rem;font-weight:600' }, caption), root), note));
    return { root, legend, note };
  },
  draw({ root, legend, note }, { snap, tr, folds, timeline }) {
    const { acc } = folds;
    const style = looks(acc.order, acc.roles);
    const lines = acc.order.map((n) => ({ node: n, look: style[n], ...seriesAt(acc.series[n], snap.seq) }));
    const marks = acc.marks.filter((m) => m.seq <= snap.seq);
    const endTime = Math.max(timeline.lastTime || 0, snap.time, 1);
    chart(root, lines, marks, niceMax(acc.top, 1), endTime, snap.time);
    fill(legend, lines.map((l) => legendItem(tr, l.node, acc.roles[l.node], l.look, l.now)));
    fill(note, marks.length ? tr('sessions.positions.marks', '✕ a read the checker found breaking a guarantee, '
      + 'at the applied position of the node that answered it ({n} so far)', { n: marks.length }) : '');
  },
});
