// The Redis lock over time: one lane per Redis node with the keys it held (whose, from the SET that took
// it to the moment it went: released, expired, overwritten, or forgotten in a crash), and a lane for the
// store with every write it applied (a dot in the writer's colour, its token if it had one) or refused
// (a grey cross). Two lanes showing different clients' keys on a majority at once is the picture of
// two holders; a write dot of a client whose keys are gone is a write under a lost lock. Drawn up to
// the playhead from a fold of the log (REDLOCK_HISTORY), never from a rerun.

import { h, fill } from '../dom.js';
import { CYCLE, inkFor } from '../protocols/palette.js';
import { STYLE, definePanel, svg } from './define.js';

const WIDTH = 680;
const PAD = { left: 58, right: 16, top: 8 };
const LANE = 40;
const AXIS = 28;
const REFUSED = '#6E6E6E';

/** Keys per node and the store's writes, folded over the log. */
export const REDLOCK_HISTORY = {
  init: () => ({ roles: {}, nodes: [], clients: [], keys: [], open: {}, writes: [], pending: {}, endTime: 0 }),
  step(acc, e) {
    acc.endTime = e.time;
    const role = acc.roles[e.node];
    const close = (node) => {
      const i = acc.open[node];
      if (i === undefined) return;
      acc.keys[i].end = e.time;
      delete acc.open[node];
    };
    if (e.kind === 'start') {
      if (!(e.node in acc.roles)) (e.role === 'redis' ? acc.nodes : e.role === 'client' ? acc.clients : []).push(e.node);
      acc.roles[e.node] = e.role;
    } else if (e.kind === 'state' && role === 'redis') {
      const key = e.state.key;
      const i = acc.open[e.node];
      if (i !== undefined && (!key || key.value !== acc.keys[i].value)) close(e.node);
      if (key && acc.open[e.node] === undefined) {
        acc.open[e.node] = acc.keys.length;
        acc.keys.push({ node: e.node, client: key.client, value: key.value, start: e.time, end: null });
      }
    } else if (e.kind === 'crash' && role === 'redis') {
      close(e.node);
    } else if (e.kind === 'deliver' && role === 'store' && e.message.type === 'write') {
      acc.pending = { by: e.message.src, op: e.message.body.op, token: e.message.body.token ?? null };
    } else if (e.kind === 'persist' && role === 'store' && e.record.type === 'write') {
      acc.writes.push({ time: e.time, by: e.record.by, op: e.record.op, token: acc.pending.token ?? null,
        accepted: true });
    } else if (e.kind === 'send' && role === 'store' && e.message.type === 'write_refused') {
      acc.writes.push({ time: e.time, by: e.message.dest, op: e.message.body.op, token: e.message.body.token,
        accepted: false });
    }
    return acc;
  },
};

function label(x, y, text, anchor = 'start', colour = '#111', size = 16, weight = 400) {
  return svg('text', { x, y, 'text-anchor': anchor, 'font-size': size, fill: colour, 'font-weight': weight }, text);
}

/** The panel entry redis-lock's encoding table lists. */
export const redlockTimelinePanel = definePanel({
  id: 'redlock-timeline',
  labelKey: 'redlock.timeline.tab',
  label: 'Keys over time',
  folds: { story: REDLOCK_HISTORY },
  mount(el, { tr }) {
    const title = tr('redlock.timeline.title', 'Keys on the Redis nodes and writes at the store, over time');
    const parts = {
      summary: h('p', { style: STYLE.chartSummary }),
      key: h('ul', { style: STYLE.legend }),
      root: svg('svg', { width: '100%', role: 'img', 'aria-label': title }),
    };
    el.append(h('figure', { style: 'margin:0' }, h('figcaption', { style: STYLE.caption }, title),
      parts.summary, parts.key, parts.root));
    return parts;
  },
  draw({ summary, key, root }, { snap, tr, folds, timeline }) {
    const story = folds.story;
    const now = snap.time;
    const colour = Object.fromEntries(story.clients.map((c, i) => [c, CYCLE[i % CYCLE.length]]));
    const lanes = [...story.nodes, 'store'];
    const endTime = Math.max(timeline.lastTime || 0, story.endTime, 1); // the whole run: scrubbing keeps the scale
    const x = (t) => PAD.left + (Math.min(t, endTime) / endTime) * (WIDTH - PAD.left - PAD.right);
    const top = Object.fromEntries(lanes.map((n, i) => [n, PAD.top + i * LANE]));
    const height = PAD.top + lanes.length * LANE + AXIS;
    root.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
    const parts = [];
    for (const lane of lanes) {
      parts.push(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: top[lane] + LANE - 4, y2: top[lane] + LANE - 4,
        stroke: '#ddd' }));
      parts.push(label(PAD.left - 8, top[lane] + 24, lane, 'end', '#111', 17, 700));
    }
    for (const k of story.keys) {
      if (k.start > now || !(k.node in top)) continue;
      const x0 = x(k.start);
      const x1 = x(k.end === null ? now : Math.min(k.end, now));
      const fillColour = colour[k.client] || CYCLE[0];
      const bar = svg('rect', { x: x0, y: top[k.node] + 6, width: Math.max(2, x1 - x0), height: 24, rx: 4, fill: fillColour });
      bar.append(svg('title', {}, tr('redlock.timeline.keyTip', '{client}: {start}–{end} ms', {
        client: k.client, start: k.start, end: k.end ?? '…' })));
      parts.push(bar);
      if (x1 - x0 > 28) parts.push(label(x0 + 4, top[k.node] + 24, k.client, 'start', inkFor(fillColour), 15, 700));
    }
    for (const w of story.writes) {
      if (w.time > now) continue;
      const cx = x(w.time);
      const cy = top.store + 18;
      const word = w.token === null ? '' : `t${w.token}`;
      if (w.accepted) {
        parts.push(svg('circle', { cx, cy, r: 9, fill: colour[w.by] || CYCLE[0], stroke: '#111', 'stroke-width': 2 }));
      } else {
        parts.push(label(cx, cy + 6, '✕', 'middle', REFUSED, 22, 700));
      }
      parts.push(label(cx + 12, cy + 6, `${w.by}${word ? ` ${word}` : ''}`, 'start', w.accepted ? '#111' : REFUSED, 14, 700));
    }
    const axisY = PAD.top + lanes.length * LANE + AXIS - 8;
    parts.push(label(PAD.left, axisY, '0 ms'), label(WIDTH - PAD.right, axisY, `${endTime} ms`, 'end'));
    root.replaceChildren(...parts);
    fill(key, ...story.clients.map((c) => h('li', {}, h('span', { style: `display:inline-block;width:1em;height:1em;`
      + `background:${colour[c]};margin-right:4px;vertical-align:middle` }), c)),
    h('li', { style: `color:${REFUSED}` }, `✕ ${tr('redlock.timeline.refused', 'write refused (token too low)')}`));
    const accepted = story.writes.filter((w) => w.accepted && w.time <= now).length;
    const refused = story.writes.filter((w) => !w.accepted && w.time <= now).length;
    fill(summary, tr('redlock.timeline.summary', 'Writes applied: {accepted} · refused: {refused}', { accepted, refused }));
  },
});
