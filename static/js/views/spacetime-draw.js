// Drawing the space-time diagram into an SVG group: used live (only the visible window) and for
// export (the whole run). One vertical lane per node coloured by its phase; an arrow per message
// from its send to its delivery; drops end in a cross part way; crash and pause intervals are
// shaded; violations are red bands; events after the playhead are faded.
//
// `model`: {timeline, seq (playhead), lo, hi (seqs to draw), axis (layout.makeAxis), xs (lane
// centres), laneWidth, left, width, encoding, t, interactive, and live only: through (count the
// arrows passing through the window per addressee past layout.THROUGH_MAX), keep (ids drawn one by
// one whatever happens), flight and cursor (layers for what moves with the playhead)}. Every
// element of an event carries data-seq; every lane data-node; every message arrow data-msg and the
// data-seq of its send.
//
// Redrawn live at every playhead move, so every element remembers what it drew (`changed`) and is
// written only when that changes: moving the playhead by one event rewrites the arrows in flight,
// the event that became the past, and the playhead line, not the whole window.

import { dropFraction, splitThrough, THROUGH_MAX } from '../layout.js';
import { CRASHED, VIOLATION } from '../protocols/palette.js';
import { SYMBOLS, SIZES, NODELESS, MARK_ICONS } from './spacetime-symbols.js';
import { violationText } from '../findings.js';

const d3 = globalThis.d3;

/** Return the lane centres a violation's band spans: its nodes' lanes shown, or every lane if the reader hid them all. */
function markXs(d, xs) {
  const shown = d.nodes.filter((n) => xs.has(n)).map((n) => xs.get(n));
  return shown.length ? shown : [...xs.values()];
}

const BLOCK = 128;
/** Lanes and time ticks are drawn over whole blocks of this many seqs, so a one-row scroll leaves them be. */

/** Return true (and remember `key`) when what an element shows differs from what it last drew. */
function changed(node, key) {
  if (node.__drawn === key) return false;
  node.__drawn = key;
  return true;
}

/** Ensure the layer groups exist under `root` (a d3 selection of <g>); return them by name. */
export function layers(root, names = ['bands', 'lanes', 'shade', 'ticks', 'arrows', 'through', 'events', 'marks', 'playhead']) {
  const out = {};
  for (const name of names) {
    let g = root.select(`g.st-${name}`);
    if (g.empty()) g = root.append('g').attr('class', `st-${name}`);
    out[name] = g;
  }
  return out;
}

/**
 * Draw (or update) everything between seqs lo and hi. With `model.cursor` ({root, moveTo(y)}), what
 * moves with the playhead (its line, the through counts) goes there instead, drawn around y = 0,
 * and moveTo(y) carries it to the content y it belongs at: moving a layer, not repainting a strip.
 */
export function drawSpacetime(root, model) {
  const L = layers(root);
  const C = model.cursor ? layers(model.cursor.root, ['through', 'playhead']) : L;
  const anchor = cursorAnchor(model);
  const m = { ...model, anchor: model.cursor ? anchor : 0 };
  if (model.cursor) model.cursor.moveTo(anchor);
  drawLanes(L.lanes, m);
  drawShading(L.shade, m);
  drawBands(L.bands, m);
  drawTicks(L.ticks, m);
  drawArrows(L.arrows, C.through, m);
  drawEvents(L.events, m);
  drawMarks(L.marks, m);
  drawPlayhead(C.playhead, m);
}

/** Return the content y of the cursor: the playhead line if it is in the window, else near the window's bottom. */
function cursorAnchor(model) {
  const atPlayhead = model.seq >= model.lo && model.seq <= model.hi;
  return atPlayhead ? yOf(model, model.seq) + model.axis.scale / 2 : yOf(model, model.hi) - 40;
}

function yOf(model, seq) { return model.axis.y(seq); }

/** Return the window widened to whole blocks (never past the log): {lo, hi, clamp(seq)}. */
function blocks(model) {
  const last = model.timeline.lastSeq;
  const lo = Math.max(1, Math.min(model.lo, Math.floor(model.lo / BLOCK) * BLOCK));
  const hi = Math.min(Math.max(last, model.hi), Math.max(model.hi, Math.ceil((model.hi + 1) / BLOCK) * BLOCK));
  return { lo, hi, clamp: (seq) => Math.max(lo, Math.min(hi, seq)) };
}

function drawLanes(g, model) {
  const { timeline, xs, encoding, laneWidth } = model;
  const b = blocks(model);
  const segs = [];
  for (const name of xs.keys()) { // the lanes shown (a reader may hide some)
    const spans = timeline.phasesOf(name);
    spans.forEach((span, i) => {
      const end = i + 1 < spans.length ? spans[i + 1].startSeq : timeline.lastSeq;
      if (end < model.lo || span.startSeq > model.hi) return;
      segs.push({ key: `${name}:${span.startSeq}`, name, phase: span.phase, from: b.clamp(span.startSeq), to: b.clamp(end) });
    });
  }
  const w = Math.min(14, laneWidth * 0.16);
  g.selectAll('rect.phase-seg').data(segs, (d) => d.key).join((enter) => enter.append('rect')
    .attr('class', 'phase-seg').attr('data-node', (d) => d.name).attr('fill', (d) => encoding.phase(d.phase).colour))
    .each(function seg(d) {
      const x = xs.get(d.name) - w / 2;
      const y = yOf(model, d.from);
      const height = Math.max(1, yOf(model, d.to) - y);
      if (!changed(this, `${x},${w},${y},${height}`)) return;
      d3.select(this).attr('x', x).attr('width', w).attr('y', y).attr('height', height);
    });
  const y1 = yOf(model, b.lo) - 12;
  const y2 = yOf(model, b.hi) + 12;
  g.selectAll('line.lane').data([...xs.keys()], (d) => d).join((enter) => enter.append('line')
    .attr('class', 'lane').attr('data-node', (d) => d))
    .each(function lane(d) {
      const x = xs.get(d);
      if (changed(this, `${x},${y1},${y2}`)) d3.select(this).attr('x1', x).attr('x2', x).attr('y1', y1).attr('y2', y2);
    });
}

function drawShading(g, model) {
  const { timeline, xs, laneWidth } = model;
  const b = blocks(model);
  const rects = [];
  for (const name of xs.keys()) {
    for (const iv of timeline.intervalsOf(name)) {
      const end = iv.endSeq ?? timeline.lastSeq;
      if (end < model.lo || iv.startSeq > model.hi) continue;
      rects.push({ key: `${name}:${iv.kind}:${iv.startSeq}`, name, kind: iv.kind, from: b.clamp(iv.startSeq), to: b.clamp(end) });
    }
  }
  g.selectAll('rect.interval').data(rects, (d) => d.key).join((enter) => enter.append('rect')
    .attr('class', (d) => `interval ${d.kind}`).attr('data-node', (d) => d.name)
    .attr('fill', (d) => (d.kind === 'down' ? CRASHED : '#F0E442')))
    .each(function interval(d) {
      const x = xs.get(d.name) - laneWidth * 0.3;
      const y = yOf(model, d.from);
      const height = Math.max(2, yOf(model, d.to) - y);
      if (changed(this, `${x},${laneWidth},${y},${height}`)) d3.select(this).attr('x', x).attr('width', laneWidth * 0.6).attr('y', y).attr('height', height);
    });
}

function drawBands(g, model) {
  const { timeline } = model;
  const b = blocks(model);
  const bands = timeline.partitions.filter((p) => (p.endSeq ?? timeline.lastSeq) >= model.lo && p.startSeq <= model.hi)
    .map((p) => ({ ...p, from: b.clamp(p.startSeq), to: b.clamp(p.endSeq ?? timeline.lastSeq) }));
  g.selectAll('rect.partition-band').data(bands, (d) => d.startSeq).join((enter) => enter.append('rect')
    .attr('class', 'partition-band').attr('data-seq', (d) => d.startSeq))
    .each(function band(d) {
      const y = yOf(model, d.from);
      const height = Math.max(2, yOf(model, d.to) - y);
      if (changed(this, `${model.left},${model.width},${y},${height}`)) {
        d3.select(this).attr('x', model.left).attr('width', model.width - model.left).attr('y', y).attr('height', height);
      }
    });
}

function drawTicks(g, model) {
  const { timeline } = model;
  const ticks = [];
  let lastY = -Infinity;
  let lastTime = null;
  // Chosen from the start of the block, so that scrolling by a row keeps the same ticks.
  const from = blocks(model).lo;
  for (let s = from; s <= model.hi; s += 1) {
    const time = timeline.times[s - 1];
    const y = yOf(model, s);
    if (time !== lastTime && y - lastY >= 24) { if (s >= model.lo) ticks.push({ seq: s, time, y }); lastY = y; }
    lastTime = time;
  }
  g.selectAll('text.tick').data(ticks, (d) => d.seq).join((enter) => enter.append('text')
    .attr('class', 'tick').attr('dy', '0.35em').text((d) => `${d.time} ms`))
    .each(function tick(d) {
      if (changed(this, `${model.left},${d.y}`)) d3.select(this).attr('x', model.left - 10).attr('y', d.y);
    });
}

function arrowEnd(model, msg) {
  const { xs, seq } = model;
  const x1 = xs.get(msg.src);
  const x2 = xs.get(msg.dst);
  const sendY = yOf(model, msg.sendSeq);
  if (msg.endSeq !== null && msg.endSeq <= seq) {
    const endY = yOf(model, msg.endSeq);
    if (msg.endKind === 'dropped') {
      const f = dropFraction(msg);
      return { x1, y1: sendY, x2: x1 + (x2 - x1) * f, y2: endY, status: 'dropped' };
    }
    return { x1, y1: sendY, x2, y2: endY, status: 'delivered' };
  }
  if (msg.sendSeq > seq) {
    const endSeq = msg.endSeq ?? timelineEnd(model);
    return { x1, y1: sendY, x2, y2: yOf(model, endSeq), status: 'future' };
  }
  // In flight at the playhead: the arrow stops at the playhead, pointing on.
  const frac = 0.5;
  return { x1, y1: sendY, x2: x1 + (x2 - x1) * frac, y2: yOf(model, seq) + model.axis.scale / 2, status: 'flight' };
}

function timelineEnd(model) { return model.timeline.lastSeq; }

function drawArrows(g, gThrough, model) {
  const { timeline } = model;
  let msgs = timeline.messagesBetween(model.lo, model.hi).filter((m) => model.xs.has(m.src) && model.xs.has(m.dst));
  let through = [];
  if (model.through) {
    const split = splitThrough(msgs, { lo: model.lo, hi: model.hi, seq: model.seq, lastSeq: timeline.lastSeq, keep: model.keep });
    if (split.through.length > THROUGH_MAX) ({ local: msgs, through } = split);
  }
  drawThrough(gThrough, model, through);
  const data = msgs.map((m) => ({ m, ...arrowEnd(model, m) }));
  if (model.flight) { // live: the arrows still in flight change with every playhead move; they get a layer of their own
    joinArrows(layers(model.flight, ['arrows']).arrows, data.filter((d) => d.status === 'flight'), model);
    joinArrows(g, data.filter((d) => d.status !== 'flight'), model);
  } else {
    joinArrows(g, data, model);
  }
}

function joinArrows(g, data, model) {
  const { encoding } = model;
  const sel = g.selectAll('g.arrow').data(data, (d) => d.m.id).join((enter) => {
    const a = enter.append('g').attr('class', 'arrow').attr('data-msg', (d) => d.m.id).attr('data-seq', (d) => d.m.sendSeq);
    a.append('line').attr('class', 'hit');
    a.append('line').attr('class', 'shaft');
    a.append('text').attr('class', 'label').attr('dy', '-0.45em');
    a.append('text').attr('class', 'drop-x').attr('dy', '0.35em').text('✕');
    if (model.interactive) model.interactive.arrow(a);
    return a;
  });
  sel.each(function arrow(d) { drawArrow(this, d, model, encoding); });
}

/**
 * Draw one arrow, writing only what changed: its look (class, colour, dash, head) changes with its
 * status, its geometry with its ends, its label's text never (an arrow in flight grows at every
 * playhead move, and rewriting a text costs a text layout).
 */
function drawArrow(node, d, model, encoding) {
  const [hit, shaft, label, cross] = node.children;
  if (node.__status !== d.status) {
    node.__status = d.status;
    const look = encoding.message(d.m.type);
    node.classList.remove('flight', 'delivered', 'dropped', 'future');
    node.classList.add(d.status);
    node.classList.toggle('dup', Boolean(d.m.of));
    shaft.setAttribute('stroke', look.colour);
    setOrRemove(shaft, 'stroke-dasharray', d.status === 'flight' ? '7 5' : look.dash);
    setOrRemove(shaft, 'marker-end', d.status === 'dropped' ? null : `url(#${arrowhead(model, look.colour)})`);
    cross.style.display = d.status === 'dropped' ? '' : 'none';
  }
  if (!changed(node, `${d.x1},${d.y1},${d.x2},${d.y2}`)) return;
  for (const line of [hit, shaft]) {
    line.setAttribute('x1', d.x1); line.setAttribute('y1', d.y1); line.setAttribute('x2', d.x2); line.setAttribute('y2', d.y2);
  }
  if (d.status === 'dropped') { cross.setAttribute('x', d.x2); cross.setAttribute('y', d.y2); }
  const len = Math.hypot(d.x2 - d.x1, d.y2 - d.y1);
  const text = len < 70 ? '' : encoding.messageLabel(d.m.message);
  if (label.textContent !== text) label.textContent = text;
  if (!text) return;
  const angle = (Math.atan2(d.y2 - d.y1, d.x2 - d.x1) * 180) / Math.PI;
  const flip = angle > 90 || angle < -90 ? angle + 180 : angle;
  label.setAttribute('transform', `translate(${(d.x1 + d.x2) / 2},${(d.y1 + d.y2) / 2}) rotate(${flip.toFixed(1)})`);
}

function setOrRemove(node, name, value) {
  if (value === null || value === undefined) node.removeAttribute(name); else node.setAttribute(name, value);
}

/**
 * The arrows passing through the window, counted per addressee: a mark on the addressee's lane, at
 * the playhead row if the playhead is in view (they are in flight and end there), else at the
 * window's lower edge (they end further down). Hovering one lists its messages.
 */
function drawThrough(g, model, through) {
  const { xs, encoding } = model;
  const byDst = new Map();
  for (const m of through) {
    if (!byDst.has(m.dst)) byDst.set(m.dst, []);
    byDst.get(m.dst).push(m);
  }
  const y = cursorAnchor(model) - model.anchor;
  const data = [...byDst].map(([dst, msgs]) => ({ key: `through>${dst}`, dst, msgs, colour: encoding.message(mostFrequentType(msgs)).colour }));
  g.selectAll('g.through').data(data, (d) => d.key).join((enter) => {
    const m = enter.append('g').attr('class', 'through').attr('data-node', (d) => d.dst);
    // Under the playhead line, clear of the event drawn on the playhead's own row.
    m.append('path').attr('d', 'M-9,4 L9,4 L0,18 z');
    m.append('text').attr('class', 'count').attr('y', 33);
    if (model.interactive && model.interactive.through) model.interactive.through(m);
    return m;
  }).each(function mark(d) {
    const x = xs.get(d.dst);
    if (!changed(this, `${x},${y},${d.msgs.length},${d.colour}`)) return;
    const m = d3.select(this).attr('transform', `translate(${x},${y})`);
    m.select('path').attr('fill', d.colour);
    m.select('text').text(String(d.msgs.length));
  });
}

function mostFrequentType(msgs) {
  const counts = new Map();
  let best = null;
  for (const m of msgs) {
    const n = (counts.get(m.type) || 0) + 1;
    counts.set(m.type, n);
    if (!best || n > counts.get(best)) best = m.type;
  }
  return best;
}

function glyphOf(e) {
  const type = SYMBOLS[e.kind] || d3.symbolCircle;
  return d3.symbol(type, SIZES[e.kind] || 60)();
}

function drawEvents(g, model) {
  const { timeline, xs, encoding } = model;
  const data = [];
  for (let s = model.lo; s <= model.hi; s += 1) {
    const e = timeline.events[s - 1];
    if (!NODELESS.has(e.kind) && xs.has(e.node)) data.push(e);
  }
  const sel = g.selectAll('g.ev').data(data, (d) => d.seq).join((enter) => {
    const ev = enter.append('g').attr('class', (d) => `ev ev-${d.kind}`)
      .attr('data-seq', (d) => d.seq).attr('data-node', (d) => d.node);
    ev.append('circle').attr('class', 'hit').attr('r', 10);
    ev.append('path').attr('class', 'glyph').attr('d', glyphOf).attr('fill', (d) => eventFill(d, encoding));
    if (model.interactive) model.interactive.event(ev);
    return ev;
  });
  sel.each(function place(d) {
    const x = xs.get(d.node);
    const y = yOf(model, d.seq);
    if (!changed(this, `${x},${y}`)) return;
    this.setAttribute('transform', `translate(${x},${y})`);
  });
  sel.each(function past(d) {
    const future = d.seq > model.seq;
    if (this.__future !== future) { this.__future = future; this.classList.toggle('future', future); }
  });
}

function eventFill(e, encoding) {
  if (e.kind === 'state') return encoding.phase(e.state && e.state.phase).colour;
  if (e.message) return encoding.message(e.message.type).colour;
  if (e.kind === 'crash') return '#000000';
  return '#333333';
}

function drawMarks(g, model) {
  const { timeline, xs, laneWidth, t } = model;
  const data = [];
  for (let s = model.lo; s <= model.hi; s += 1) {
    const e = timeline.events[s - 1];
    if (NODELESS.has(e.kind)) data.push(e);
  }
  const sel = g.selectAll('g.mark').data(data, (d) => d.seq).join((enter) => {
    const m = enter.append('g');
    m.append('rect').attr('class', 'band');
    m.append('text').attr('class', 'icon').attr('dy', '0.35em');
    m.append('title');
    if (model.interactive) model.interactive.event(m);
    return m;
  });
  sel.attr('class', (d) => `mark mark-${d.kind}${d.seq > model.seq ? ' future' : ''}`)
    .attr('data-seq', (d) => d.seq).attr('transform', (d) => `translate(0,${yOf(model, d.seq)})`);
  if (!sel.size()) return;
  sel.select('rect.band').each(function band(d) {
    const x = d.kind === 'violation' ? markXs(d, xs) : [...xs.values()];
    const x0 = d.kind === 'caption' ? model.left : Math.min(...x) - laneWidth * 0.35;
    const x1 = d.kind === 'caption' ? model.left + 6 : Math.max(...x) + laneWidth * 0.35;
    d3.select(this).attr('x', x0).attr('width', Math.max(4, x1 - x0)).attr('y', -5).attr('height', 10)
      .attr('fill', d.kind === 'violation' ? VIOLATION : null);
  });
  sel.select('text.icon').attr('x', 8).text((d) => MARK_ICONS[d.kind] || '•');
  sel.select('title').text((d) => (d.kind === 'violation' ? violationText(d, model.catalogue)
    : d.kind === 'caption' ? d.text : t(`spacetime.${d.kind}`)));
  sel.selectAll('text.what').data((d) => (d.kind === 'violation' ? [d] : [])).join('text').attr('class', 'what')
    .attr('y', -9).text((d) => `⚠ ${d.invariant}`)
    .each(function place(d) { placeWhat(this, markXs(d, xs), laneWidth, model.width); });
}

/** About how wide a letter of a band's label is (lab.css `.mark .what`: 15-px bold), when it cannot be measured. */
const WHAT_LETTER_PX = 9.5;

/**
 * Put a violation band's label above it: from its left end, or, where it would run past the diagram's
 * right edge (a band on the last lane, a long invariant name), ending at the band's right end instead.
 */
function placeWhat(text, bandXs, laneWidth, width) {
  const start = Math.min(...bandXs) - laneWidth * 0.35;
  const end = Math.min(width, Math.max(...bandXs) + laneWidth * 0.35);
  const measured = text.getComputedTextLength ? text.getComputedTextLength() : 0; // 0 in a hidden pane
  const wide = measured || text.textContent.length * WHAT_LETTER_PX;
  const fits = start + wide <= width;
  text.setAttribute('x', fits ? start : end);
  text.setAttribute('text-anchor', fits ? 'start' : 'end');
}


function drawPlayhead(g, model) {
  const y = model.axis.y(model.seq) + model.axis.scale / 2 - model.anchor;
  const show = model.seq >= model.lo - 1 && model.seq <= model.hi + 1 && model.showPlayhead !== false;
  g.selectAll('line.playhead').data(show ? [y] : []).join((enter) => enter.append('line').attr('class', 'playhead'))
    .each(function line(d) {
      if (changed(this, `${model.left},${model.width},${d}`)) d3.select(this).attr('x1', model.left).attr('x2', model.width).attr('y1', d).attr('y2', d);
    });
}

/** Return the id of an arrowhead marker of this colour, defining it in `model.defs` on first use. */
function arrowhead(model, colour) {
  const id = `st-ah-${model.idPrefix || ''}${colour.replace('#', '')}`;
  if (model.defs.select(`#${id}`).empty()) {
    model.defs.append('marker').attr('id', id).attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5)
      .attr('markerWidth', 6).attr('markerHeight', 6).attr('markerUnits', 'strokeWidth').attr('orient', 'auto')
      .append('path').attr('d', 'M0,0 L10,5 L0,10 z').attr('fill', colour);
  }
  return id;
}
