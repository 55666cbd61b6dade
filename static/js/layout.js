// Pure layout: where things go. No DOM, no d3, no clock: numbers in, numbers out.
//
// Topology: nodes are placed by role (layout-nodes.js). A message's position interpolates its virtual send and arrival
// times against the playhead time `tau`: that is what makes a 5 ms message and a
// 20 ms one cross the screen at different speeds.
//
// Space-time diagram: one vertical lane per node, y grows with seq (one row per
// event) or with virtual time; `visibleSeqRange` turns a scroll window into the
// slice of the log worth drawing, and `zoomAt` keeps the point under the pointer
// fixed while the scale changes.

export {
  NODE_RADIUS, UNIT_GAP, ATTACH_GAP, ROW_GAP, MIN_SCALE, tiersOf, unitsOf, placeNodes,
} from './layout-nodes.js';

/** Return true when a box {x0, y0, x1, y1} is clear of every box in `others`. */
export function clearOf(box, others) {
  return others.every((o) => box.x1 <= o.x0 || box.x0 >= o.x1 || box.y1 <= o.y0 || box.y0 >= o.y1);
}

/** Return how far along its link a message is at time `tau`: 0 at send, 1 at arrival, null if not yet sent. */
export function messageProgress(msg, tau) {
  if (tau < msg.sendTime) return null;
  const arrival = arrivalTime(msg);
  if (arrival <= msg.sendTime) return msg.endKind === 'dropped' && msg.due === null ? LOST_AT : 1;
  return Math.max(0, Math.min(1, (tau - msg.sendTime) / (arrival - msg.sendTime)));
}

export const LOST_AT = 0.15;
/** A message the network lost at once falls away this far from its sender. */

/** Return the virtual time at which a message's flight ends (arrival, drop, or its due time). */
export function arrivalTime(msg) {
  if (msg.endKind === 'dropped') {
    if (msg.due === null) return msg.sendTime;
    return Math.min(msg.endTime, msg.due);
  }
  if (msg.endKind === 'delivered') return Math.min(msg.endTime, Math.max(msg.due ?? msg.endTime, msg.sendTime));
  return msg.due ?? msg.sendTime;
}

/**
 * Return the messages to draw at seq `seq` and playhead time `tau`, each with its progress.
 * `inFlight` are the messages in flight at `seq`; `ended` are those that ended since the tween
 * began (they keep flying until `tau` reaches their end).
 */
export function flyingMessages(inFlight, ended, tau) {
  const out = [];
  for (const msg of inFlight) {
    const p = messageProgress(msg, tau);
    if (p === null) continue;
    out.push({ msg, progress: p, held: p >= 1 && tau > arrivalTime(msg) });
  }
  for (const msg of ended) {
    if (!msg) continue;
    const end = msg.endTime;
    const p = messageProgress(msg, tau);
    if (p === null || tau >= end) continue;
    out.push({ msg, progress: p, held: false });
  }
  return out;
}

export const BUNDLE_ABOVE = 60;
/**
 * More messages than this in flight and the topology draws one bundle per link (a count on it)
 * instead of one mark per message: beyond it single marks overlap into noise (a 32-node
 * termination storm has 500 to 900 in flight) and each costs a moving element per frame.
 */
export const SINGLES_BELOW = 48;
/** Back to single marks below this many (apart from BUNDLE_ABOVE, so the view does not flicker). */

/**
 * Group flying messages (flyingMessages) by directed link, in order of first appearance:
 * [{key: 'src>dst', src, dst, count, progress (the mean), held (all held), type (the most frequent), ids}].
 */
export function bundleMessages(flying) {
  const byKey = new Map();
  for (const f of flying) {
    const key = `${f.msg.src}>${f.msg.dst}`;
    let b = byKey.get(key);
    if (!b) {
      b = { key, src: f.msg.src, dst: f.msg.dst, count: 0, progress: 0, held: true, types: new Map(), ids: [] };
      byKey.set(key, b);
    }
    b.count += 1;
    b.progress += f.progress;
    b.held = b.held && f.held;
    b.types.set(f.msg.type, (b.types.get(f.msg.type) || 0) + 1);
    b.ids.push(f.msg.id);
  }
  const out = [];
  for (const b of byKey.values()) {
    let type = null;
    let most = 0;
    for (const [name, n] of b.types) if (n > most) { type = name; most = n; }
    out.push({ key: b.key, src: b.src, dst: b.dst, count: b.count, progress: b.progress / b.count, held: b.held, type, ids: b.ids });
  }
  return out;
}

/** Return the point at fraction `p` along a gently bent link from a to b (bend > 0: to the left). */
export function pointAlong(a, b, p, bend = 0) {
  const mx = (a.x + b.x) / 2;
  const my = (a.y + b.y) / 2;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  const cx = mx - (dy / len) * bend;
  const cy = my + (dx / len) * bend;
  const q = 1 - p;
  const x = q * q * a.x + 2 * q * p * cx + p * p * b.x;
  const y = q * q * a.y + 2 * q * p * cy + p * p * b.y;
  const tx = 2 * q * (cx - a.x) + 2 * p * (b.x - cx);
  const ty = 2 * q * (cy - a.y) + 2 * p * (b.y - cy);
  return { x, y, angle: (Math.atan2(ty, tx) * 180) / Math.PI };
}

/** Return the SVG path of the same bent link. */
export function linkPath(a, b, bend = 0) {
  const c = pointAlong(a, b, 0.5, bend);
  // The quadratic's control point, recovered from its midpoint.
  const cx = 2 * c.x - (a.x + b.x) / 2;
  const cy = 2 * c.y - (a.y + b.y) / 2;
  return `M${a.x},${a.y} Q${cx},${cy} ${b.x},${b.y}`;
}

/**
 * Return how far to bend the link a-b so that it clears every other node (0 if the straight line
 * already does): links between nodes of one row would otherwise run through the nodes between them.
 */
export function linkBend(a, b, others, clearance) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy || 1;
  for (const o of others) {
    const k = ((o.x - a.x) * dx + (o.y - a.y) * dy) / len2;
    if (k <= 0 || k >= 1) continue;
    const d = Math.hypot(a.x + k * dx - o.x, a.y + k * dy - o.y);
    if (d < clearance) return 2 * clearance + 6;
  }
  return 0;
}

/** Return the point where a link leaves a node's circle of radius r (so arrows stop at the rim). */
export function trimmed(a, b, r) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  return { x: a.x + (dx / len) * r, y: a.y + (dy / len) * r };
}

/** Return the point where the ray from a box's centre towards `to` leaves the box (w x h), plus `gap`. */
export function boxRim(centre, to, w, h, gap = 0) {
  const dx = to.x - centre.x;
  const dy = to.y - centre.y;
  const len = Math.hypot(dx, dy) || 1;
  const k = Math.min(dx ? (w / 2) / Math.abs(dx) : Infinity, dy ? (h / 2) / Math.abs(dy) : Infinity);
  return { x: centre.x + dx * k + (dx / len) * gap, y: centre.y + dy * k + (dy / len) * gap };
}

/** Return true when a and b are in different groups of a partition (a cut link). */
export function isCut(groups, a, b) {
  if (!groups) return false;
  const ga = groups.findIndex((g) => g.includes(a));
  const gb = groups.findIndex((g) => g.includes(b));
  return ga !== gb;
}

// --------------------------------------------------------- space-time

export const AXIS_SEQ = 'seq';
export const AXIS_TIME = 'time';

/** Return lane centres {name -> x}: equal lanes after a left margin, at least minWidth each. */
export function lanes(names, { left = 0, width, minWidth = 72 }) {
  const laneWidth = Math.max(minWidth, (width - left) / Math.max(1, names.length));
  const xs = new Map();
  names.forEach((n, i) => xs.set(n, left + laneWidth * (i + 0.5)));
  return { xs, laneWidth, width: left + laneWidth * names.length };
}

/**
 * A lane head's chip: the node's name in 18-px bold (lab.css `.lane-head text`) on a rounded box.
 * Measured in Chromium with the page's font (DejaVu Sans Bold), a name averages 9.4 to 12.7 px a letter
 * ('client' 56.6 px, 'consumer' 99.2, 'coordinator' 118.2, 'p1' 25.4): the chip's natural width
 * allows CHIP_LETTER_PX a letter and CHIP_PAD_PX of box either side, never under CHIP_MIN_PX.
 */
export const CHIP_LETTER_PX = 11;
export const CHIP_PAD_PX = 8;
export const CHIP_MIN_PX = 40;
/**
 * Clear space between a chip and its lane's edges, each side, whatever the lane's width: so
 * neighbouring chips stand at least 2 × 14 = 28 px apart (a letter and a half of the heads' 18-px
 * font: two names read as two, and a highlighted chip's 5-px outline, lab.css `.lane-head.hl`, stays
 * far from its neighbour's), and the last chip ends inside the scrollable width (commit 91c5a9e
 * raised this from 4 px when transactional-outbox's consumer head ended 2 px past that width).
 */
export const CHIP_MARGIN_PX = 14;

/** Return the width of the chip under a lane's head: its name's natural width, inside its lane's margins. */
export function laneChipWidth(name, laneWidth) {
  const natural = Math.max(CHIP_MIN_PX, name.length * CHIP_LETTER_PX + 2 * CHIP_PAD_PX);
  return Math.min(laneWidth - 2 * CHIP_MARGIN_PX, natural);
}

/**
 * Return the y mapping of the space-time diagram.
 * mode 'seq': one row of `rowPx` per event; mode 'time': `msPx` per virtual millisecond.
 */
export function makeAxis({ mode = AXIS_SEQ, rowPx = 18, msPx = 0.5, top = 0, times = [] }) {
  if (mode === AXIS_TIME) {
    return {
      mode, top, scale: msPx,
      y: (seq) => top + (seq <= 0 ? 0 : times[Math.min(seq, times.length) - 1]) * msPx,
      yTime: (t) => top + t * msPx,
      height: top + (times.length ? times[times.length - 1] : 0) * msPx,
    };
  }
  return {
    mode, top, scale: rowPx,
    y: (seq) => top + (seq - 0.5) * rowPx,
    yTime: null,
    height: top + times.length * rowPx,
  };
}

/** Return the seqs [lo, hi] whose rows meet the window [scrollTop, scrollTop + viewHeight]. */
export function visibleSeqRange(axis, scrollTop, viewHeight, times, pad = 40) {
  const y0 = scrollTop - pad - axis.top;
  const y1 = scrollTop + viewHeight + pad - axis.top;
  const n = times.length;
  if (!n) return { lo: 1, hi: 0 };
  if (axis.mode === AXIS_TIME) {
    const lo = firstAtLeast(times, y0 / axis.scale) + 1;
    const hi = firstAbove(times, y1 / axis.scale);
    return { lo: Math.max(1, lo), hi: Math.min(n, Math.max(hi, lo)) };
  }
  const lo = Math.max(1, Math.floor(y0 / axis.scale));
  const hi = Math.min(n, Math.ceil(y1 / axis.scale) + 1);
  return { lo, hi };
}

function firstAtLeast(list, v) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (list[m] < v) lo = m + 1; else hi = m; }
  return lo;
}

function firstAbove(list, v) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (list[m] <= v) lo = m + 1; else hi = m; }
  return lo;
}

/** Zoom the axis scale by `factor` keeping content under `anchorY` (view px) still: {scale, scrollTop}. */
export function zoomAt({ scale, scrollTop, anchorY, factor, top = 0, min = 2, max = 64 }) {
  const next = Math.max(min, Math.min(max, scale * factor));
  const contentY = (scrollTop + anchorY - top) / scale;
  return { scale: next, scrollTop: Math.max(0, contentY * next + top - anchorY) };
}

/** Return the scrollTop that keeps y visible, `margin` px above the bottom (for following the newest). */
export function followScrollTop(y, viewHeight, margin = 48) {
  return Math.max(0, y - viewHeight + margin);
}

export const THROUGH_MAX = 40;
/**
 * Up to this many arrows with neither end in view are drawn one by one on the space-time diagram;
 * beyond it they are counted per addressee instead. A 32-node storm has 500 and more in flight
 * from far above the window: as lines they are a grey curtain (and a frame's work to draw).
 */

/** Return the seq where a message's arrow ends at playhead `seq` (null: in flight, it stops at the playhead). */
export function arrowEndSeq(msg, seq, lastSeq) {
  if (msg.sendSeq > seq) return msg.endSeq ?? lastSeq;
  if (msg.endSeq !== null && msg.endSeq <= seq) return msg.endSeq;
  return null;
}

/**
 * Split the messages drawn in the window [lo, hi] at playhead `seq` into those with an end in view
 * (their send, or the event ending them) and those passing through it (sent above the window, ending
 * below it or still in flight). `keep` (ids) are always counted as in view.
 */
export function splitThrough(msgs, { lo, hi, seq, lastSeq, keep = new Set() }) {
  const local = [];
  const through = [];
  for (const m of msgs) {
    const end = arrowEndSeq(m, seq, lastSeq);
    const inView = m.sendSeq >= lo || (end !== null && end >= lo && end <= hi) || keep.has(m.id);
    (inView ? local : through).push(m);
  }
  return { local, through };
}

/** Return where a dropped message's arrow ends on the space-time diagram: a fraction of the way. */
export function dropFraction(msg) {
  if (msg.due === null) return LOST_AT;
  const span = msg.due - msg.sendTime;
  if (span <= 0) return 0.8;
  return Math.max(0.15, Math.min(0.8, (msg.endTime - msg.sendTime) / span));
}

// ------------------------------------------------------------- tweening

/** Return the wall-clock duration (ms) of animating `dt` virtual ms at `speed` (virtual ms per wall ms). */
export function tweenDuration(dt, speed, { min = 180, max = 1200 } = {}) {
  if (dt <= 0) return min;
  if (!speed) return min;
  return Math.max(min, Math.min(max, dt / speed));
}

/** Ease in and out (cubic). */
export function ease(t) {
  const u = Math.max(0, Math.min(1, t));
  return u < 0.5 ? 4 * u * u * u : 1 - ((-2 * u + 2) ** 3) / 2;
}

// ------------------------------------------------------ state diagrams

export const ANY_PHASE = '*';

/**
 * Lay out one role's state diagram from the catalogue's transition rows.
 * Returns {phases: [{phase, rank, row, x, y}], edges: [{from, to, inputs: [{on, ignore, why}]}],
 * loops: {phase -> [{on, ignore, why}]}, any: [{to, on}], width, height}. Columns are the longest
 * path from the first phase (in `order`, then as met in the table); a column's phases stack.
 */
export function stateDiagramLayout(rows, role, order = [], { boxW = 150, boxH = 46, gapX = 90, gapY = 40, pad = 20 } = {}) {
  const mine = rows.filter((r) => r.role === role);
  const names = [...order];
  for (const r of mine) for (const p of [r.from, ...r.to]) if (p !== ANY_PHASE && !names.includes(p)) names.push(p);
  const used = names.filter((p) => mine.some((r) => r.from === p || r.to.includes(p)));
  const edges = new Map();
  const loops = {};
  const any = [];
  for (const r of mine) {
    const input = { on: r.on, ignore: r.ignore, why: r.why };
    for (const to of r.to) {
      if (r.from === ANY_PHASE) any.push({ to, on: r.on });
      else if (to === r.from) (loops[to] = loops[to] || []).push(input);
      else {
        const key = `${r.from}>${to}`;
        if (!edges.has(key)) edges.set(key, { from: r.from, to, inputs: [] });
        edges.get(key).inputs.push(input);
      }
    }
  }
  const rank = {};
  for (const p of used) {
    let best = 0;
    for (const e of edges.values()) {
      if (e.to === p && e.from in rank && used.indexOf(e.from) < used.indexOf(p)) best = Math.max(best, rank[e.from] + 1);
    }
    rank[p] = best;
  }
  const rowsInRank = {};
  const phases = used.map((phase) => {
    const r = rank[phase];
    const row = rowsInRank[r] = (rowsInRank[r] ?? -1) + 1;
    return { phase, rank: r, row };
  });
  const maxRank = Math.max(0, ...phases.map((p) => p.rank));
  const maxRow = Math.max(0, ...phases.map((p) => p.row));
  const edgeList = [...edges.values()];
  for (const e of edgeList) e.skip = Math.abs(rank[e.to] - rank[e.from]) > 1;
  const top = pad + (edgeList.some((e) => e.skip) ? boxH * 1.4 : 0);
  for (const p of phases) {
    p.x = pad + p.rank * (boxW + gapX) + boxW / 2;
    p.y = top + p.row * (boxH + gapY) + boxH / 2;
  }
  return {
    phases, edges: edgeList, loops, any, boxW, boxH,
    width: 2 * pad + (maxRank + 1) * boxW + maxRank * gapX,
    height: top + pad + (maxRow + 1) * boxH + maxRow * gapY,
  };
}
