// The lock's holders, leases and tokens over time: one lane per client, drawn up to the playhead.
//
// In each client's lane: a blue bar for every lease the lock service granted it, from the grant
// to the moment the lock ended it (released, expired, or lost with a crash), labelled with its
// token; under it an orange band for the time the client itself believes it holds a lease.
// An orange band running past the end of its blue bar is the danger: a paused or slow-clocked
// client still believes. Stale writes are marked in the writer's lane: red "accepted" (the store
// took a stale token, or without fencing a write after the lease ended) or grey "rejected"
// (fenced out). Below the lanes, the store's highest token as a step line. How each lease ended is
// the lock's record (its state's `ended`), or its crash. The history is a fold of counters-model.js
// (pure, tested) that the timeline checkpoints; this file only draws.

import { h, fill } from '../dom.js';
import { PALETTE, VIOLATION } from '../protocols/palette.js';
import { LOCK_HISTORY, linear } from './counters-model.js';
import { STYLE, definePanel, svg } from './define.js';
import { swatch } from './counters-value.js';

const WIDTH = 680;
const PAD = { left: 50, right: 20, top: 10 };
const LANE = 54;
const TOKEN_BAND = 80;
const AXIS = 30;
const REJECTED = '#6E6E6E';
/** How a lease ended (as the lock recorded it, or its crash), in words: [key, English]. */
const HOW = {
  released: ['locks.timeline.how.released', 'released'],
  expired: ['locks.timeline.how.expired', 'expired'],
  'lock crashed': ['locks.timeline.how.crashed', 'lost with the lock\'s crash'],
};

function label(x, y, text, anchor = 'start', colour = '#111', size = 16, weight = 400) {
  return svg('text', { x, y, 'text-anchor': anchor, 'font-size': size, fill: colour, 'font-weight': weight }, text);
}

/** The panel entry an encoding table lists: the lock's history folded through the timeline, drawn. */
export const locksTimelinePanel = definePanel({
  id: 'locks-timeline',
  labelKey: 'locks.timeline.tab',
  label: 'Leases and tokens',
  folds: { history: LOCK_HISTORY },
  mount(el, { tr }) {
    const title = tr('locks.timeline.title', 'Lock holders, leases and fencing tokens');
    const summary = h('p', { style: STYLE.chartSummary });
    const key = h('ul', { style: STYLE.legend },
      h('li', {}, swatch(PALETTE.blue), tr('locks.timeline.lease', 'lease granted by the lock (token)')),
      h('li', {}, swatch(PALETTE.orange), tr('locks.timeline.belief', "the client's own view: it holds the lease")),
      h('li', {}, swatch(PALETTE.purple), tr('locks.timeline.storeToken', "store's highest token")),
      h('li', { style: `color:${VIOLATION}` }, `● ${tr('locks.timeline.accepted', 'stale write accepted')}`),
      h('li', { style: `color:${REJECTED}` }, `● ${tr('locks.timeline.rejected', 'stale write rejected')}`));
    const root = svg('svg', { width: '100%', role: 'img', 'aria-label': title });
    el.append(h('figure', { style: 'margin:0' }, h('figcaption', { style: STYLE.caption }, title),
      summary, key, root));
    return { summary, root };
  },
  draw({ summary, root }, { snap, tr, folds, timeline }) {
    const story = folds.history;
    const endTime = Math.max(timeline.lastTime || 0, story.endTime, 1);
    const now = Math.min(snap.time, endTime);
    const height = PAD.top + story.clients.length * LANE + TOKEN_BAND + AXIS;
    root.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
    const x = linear([0, endTime], [PAD.left, WIDTH - PAD.right]);
    const lane = Object.fromEntries(story.clients.map((c, i) => [c, PAD.top + i * LANE]));
    const parts = [];
    story.clients.forEach((client) => {
      const top = lane[client];
      parts.push(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: top + LANE - 2, y2: top + LANE - 2,
        stroke: '#ddd' }));
      parts.push(label(PAD.left - 8, top + 26, client, 'end', '#111', 18, 700));
    });
    for (const lease of story.leases) {
      if (!(lease.client in lane)) continue;
      const x0 = x(lease.start);
      const x1 = x(Math.min(lease.end ?? now, now));
      const top = lane[lease.client];
      const bar = svg('rect', { x: x0, y: top + 4, width: Math.max(2, x1 - x0), height: 24, rx: 4,
        fill: PALETTE.blue });
      bar.append(svg('title', {}, tr('locks.timeline.leaseTip', 'token {token}: {start}–{end} ms ({how})', {
        token: lease.token, start: lease.start, end: lease.end ?? '…', how: lease.how ? tr(...HOW[lease.how]) : lease.end === null ? tr('locks.timeline.held', 'held') : '—' })));
      parts.push(bar, label(x0 + 4, top + 22, `t${lease.token}`, 'start', '#fff', 16, 700));
    }
    for (const belief of story.beliefs) {
      if (!(belief.client in lane)) continue;
      const x0 = x(belief.start);
      const x1 = x(Math.min(belief.end ?? now, now));
      parts.push(svg('rect', { x: x0, y: lane[belief.client] + 32, width: Math.max(2, x1 - x0), height: 8,
        fill: PALETTE.orange }));
    }
    for (const write of story.stale) {
      if (!(write.client in lane)) continue;
      const colour = write.status === 'accepted' ? VIOLATION : REJECTED;
      const cx = x(write.t);
      const word = write.status === 'accepted' ? tr('locks.timeline.acceptedShort', 'accepted')
        : tr('locks.timeline.rejectedShort', 'rejected');
      parts.push(svg('circle', { cx, cy: lane[write.client] + 16, r: 9, fill: colour, stroke: '#fff',
        'stroke-width': 2 }));
      parts.push(label(cx + (cx > WIDTH - 140 ? -12 : 12), lane[write.client] + 50, `t${write.token} ${word}`,
        cx > WIDTH - 140 ? 'end' : 'start', colour, 15, 700));
    }
    const bandTop = PAD.top + story.clients.length * LANE + 8;
    const bandBottom = bandTop + TOKEN_BAND - 20;
    const top = Math.max(1, story.maxToken, ...story.storeTokens.map((p) => p.v));
    const y = linear([0, top], [bandBottom, bandTop + 6]);
    parts.push(label(PAD.left - 8, y(top) + 5, `t${top}`, 'end'), label(PAD.left - 8, bandBottom + 5, 't0', 'end'));
    parts.push(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: bandBottom, y2: bandBottom, stroke: '#444' }));
    let d = '';
    for (const p of story.storeTokens) {
      if (p.t > now) break;
      d += d ? `H${x(p.t).toFixed(1)}V${y(p.v).toFixed(1)}` : `M${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    }
    if (d) parts.push(svg('path', { d: `${d}H${x(now).toFixed(1)}`, fill: 'none', stroke: PALETTE.purple,
      'stroke-width': 4 }));
    const axisY = bandBottom + AXIS - 6;
    parts.push(label(PAD.left, axisY, '0 ms'), label(WIDTH - PAD.right, axisY, `${endTime} ms`, 'end'));
    parts.push(svg('line', { x1: x(now), x2: x(now), y1: PAD.top, y2: bandBottom, stroke: '#777',
      'stroke-dasharray': '3 3' }));
    root.replaceChildren(...parts);
    const accepted = story.stale.filter((w) => w.status === 'accepted').length;
    fill(summary, tr('locks.timeline.summary', 'Grants: {grants} · highest token: {max} · stale writes accepted: '
      + '{accepted} · rejected: {rejected}', { grants: story.leases.length, max: story.maxToken, accepted,
      rejected: story.stale.length - accepted }));
  },
});
