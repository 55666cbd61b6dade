// Drawing the space-time diagram into an SVG group: used live (only the visible window) and for
// export (the whole run). One vertical lane per node coloured by its phase; an arrow per message
// from its send to its delivery; drops end in a cross part way; crash and pause intervals are
// shaded; violations are red bands; events after the playhead are faded.
//
// `model`: {timeline, seq (playhead), lo, hi (seqs to draw), axis (layout.makeAxis), xs (lane
// centres), laneWidth, left, width, encoding, t, interactive}. Every element of an event carries
// data-seq; every lane data-node; every message arrow data-msg and the data-seq of its send.

import { dropFraction } from '../layout.js';
import { CRASHED, VIOLATION } from '../protocols/palette.js';

const d3 = globalThis.d3;

const SYMBOLS = {
  start: d3.symbolCircle, state: d3.symbolSquare, persist: d3.symbolDiamond, timer_set: d3.symbolTriangle,
  timer: d3.symbolTriangle, timer_cancel: d3.symbolTimes, crash: d3.symbolTimes, recover: d3.symbolWye,
  pause: d3.symbolSquare2, resume: d3.symbolTriangle2, note: d3.symbolCircle, client: d3.symbolStar,
  clock: d3.symbolDiamond2, send: d3.symbolCircle, deliver: d3.symbolCircle, drop: d3.symbolX,
  duplicate: d3.symbolCircle2,
};
const SIZES = { start: 150, crash: 220, recover: 160, state: 70, persist: 80, timer: 90, violation: 0 };
const NODELESS = new Set(['partition', 'heal', 'violation', 'caption']);

/** Ensure the layer groups exist under `root` (a d3 selection of <g>); return them by name. */
export function layers(root) {
  const names = ['bands', 'lanes', 'shade', 'ticks', 'arrows', 'events', 'marks', 'playhead'];
  const out = {};
  for (const name of names) {
    let g = root.select(`g.st-${name}`);
    if (g.empty()) g = root.append('g').attr('class', `st-${name}`);
    out[name] = g;
  }
  return out;
}

/** Draw (or update) everything between seqs lo and hi. */
export function drawSpacetime(root, model) {
  const L = layers(root);
  drawLanes(L.lanes, model);
  drawShading(L.shade, model);
  drawBands(L.bands, model);
  drawTicks(L.ticks, model);
  drawArrows(L.arrows, model);
  drawEvents(L.events, model);
  drawMarks(L.marks, model);
  drawPlayhead(L.playhead, model);
}

function yOf(model, seq) { return model.axis.y(seq); }
function clampSeq(model, seq) { return Math.max(model.lo, Math.min(model.hi, seq)); }

function drawLanes(g, model) {
  const { timeline, xs, encoding, laneWidth } = model;
  const segs = [];
  for (const name of timeline.nodeOrder) {
    const spans = timeline.phasesOf(name);
    spans.forEach((span, i) => {
      const end = i + 1 < spans.length ? spans[i + 1].startSeq : timeline.lastSeq;
      if (end < model.lo || span.startSeq > model.hi) return;
      segs.push({ key: `${name}:${span.startSeq}`, name, phase: span.phase, from: clampSeq(model, span.startSeq), to: clampSeq(model, end) });
    });
  }
  const w = Math.min(14, laneWidth * 0.16);
  g.selectAll('rect.phase-seg').data(segs, (d) => d.key).join('rect')
    .attr('class', 'phase-seg').attr('data-node', (d) => d.name)
    .attr('x', (d) => xs.get(d.name) - w / 2).attr('width', w)
    .attr('y', (d) => yOf(model, d.from)).attr('height', (d) => Math.max(1, yOf(model, d.to) - yOf(model, d.from)))
    .attr('fill', (d) => encoding.phase(d.phase).colour);
  g.selectAll('line.lane').data(timeline.nodeOrder, (d) => d).join('line')
    .attr('class', 'lane').attr('data-node', (d) => d)
    .attr('x1', (d) => xs.get(d)).attr('x2', (d) => xs.get(d))
    .attr('y1', yOf(model, model.lo) - 12).attr('y2', yOf(model, model.hi) + 12);
}

function drawShading(g, model) {
  const { timeline, xs, laneWidth } = model;
  const rects = [];
  for (const name of timeline.nodeOrder) {
    for (const iv of timeline.intervalsOf(name)) {
      const end = iv.endSeq ?? timeline.lastSeq;
      if (end < model.lo || iv.startSeq > model.hi) continue;
      rects.push({ key: `${name}:${iv.kind}:${iv.startSeq}`, name, kind: iv.kind,
        from: clampSeq(model, iv.startSeq), to: clampSeq(model, end) });
    }
  }
  g.selectAll('rect.interval').data(rects, (d) => d.key).join('rect')
    .attr('class', (d) => `interval ${d.kind}`).attr('data-node', (d) => d.name)
    .attr('x', (d) => xs.get(d.name) - laneWidth * 0.3).attr('width', laneWidth * 0.6)
    .attr('y', (d) => yOf(model, d.from)).attr('height', (d) => Math.max(2, yOf(model, d.to) - yOf(model, d.from)))
    .attr('fill', (d) => (d.kind === 'down' ? CRASHED : '#F0E442'));
}

function drawBands(g, model) {
  const { timeline } = model;
  const bands = timeline.partitions.filter((p) => (p.endSeq ?? timeline.lastSeq) >= model.lo && p.startSeq <= model.hi)
    .map((p) => ({ ...p, from: clampSeq(model, p.startSeq), to: clampSeq(model, p.endSeq ?? timeline.lastSeq) }));
  g.selectAll('rect.partition-band').data(bands, (d) => d.startSeq).join('rect')
    .attr('class', 'partition-band').attr('data-seq', (d) => d.startSeq)
    .attr('x', model.left).attr('width', model.width - model.left)
    .attr('y', (d) => yOf(model, d.from)).attr('height', (d) => Math.max(2, yOf(model, d.to) - yOf(model, d.from)));
}

function drawTicks(g, model) {
  const { timeline } = model;
  const ticks = [];
  let lastY = -Infinity;
  let lastTime = null;
  for (let s = model.lo; s <= model.hi; s += 1) {
    const time = timeline.times[s - 1];
    const y = yOf(model, s);
    if (time !== lastTime && y - lastY >= 24) { ticks.push({ seq: s, time, y }); lastY = y; }
    lastTime = time;
  }
  g.selectAll('text.tick').data(ticks, (d) => d.seq).join('text')
    .attr('class', 'tick').attr('x', model.left - 10).attr('y', (d) => d.y).attr('dy', '0.35em')
    .text((d) => `${d.time} ms`);
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

function drawArrows(g, model) {
  const { timeline, encoding } = model;
  const msgs = timeline.messagesBetween(model.lo, model.hi).filter((m) => model.xs.has(m.src) && model.xs.has(m.dst));
  const data = msgs.map((m) => ({ m, ...arrowEnd(model, m) }));
  const sel = g.selectAll('g.arrow').data(data, (d) => d.m.id).join((enter) => {
    const a = enter.append('g').attr('class', 'arrow');
    a.append('line').attr('class', 'hit');
    a.append('line').attr('class', 'shaft');
    a.append('text').attr('class', 'label');
    a.append('text').attr('class', 'drop-x').attr('dy', '0.35em').text('✕');
    if (model.interactive) model.interactive.arrow(a);
    return a;
  });
  sel.attr('data-msg', (d) => d.m.id).attr('data-seq', (d) => d.m.sendSeq)
    .attr('class', (d) => `arrow ${d.status}${d.m.of ? ' dup' : ''}`);
  sel.selectAll('line').attr('x1', (d) => d.x1).attr('y1', (d) => d.y1).attr('x2', (d) => d.x2).attr('y2', (d) => d.y2);
  sel.select('line.shaft').attr('stroke', (d) => encoding.message(d.m.type).colour)
    .attr('stroke-dasharray', (d) => (d.status === 'flight' ? '7 5' : encoding.message(d.m.type).dash))
    .attr('marker-end', (d) => (d.status === 'dropped' ? null : `url(#${arrowhead(model, encoding.message(d.m.type).colour)})`));
  sel.select('text.drop-x').attr('x', (d) => d.x2).attr('y', (d) => d.y2)
    .style('display', (d) => (d.status === 'dropped' ? null : 'none'));
  sel.select('text.label').each(function label(d) {
    const len = Math.hypot(d.x2 - d.x1, d.y2 - d.y1);
    const text = d3.select(this);
    if (len < 70) { text.text(''); return; }
    const angle = (Math.atan2(d.y2 - d.y1, d.x2 - d.x1) * 180) / Math.PI;
    const flip = angle > 90 || angle < -90 ? angle + 180 : angle;
    text.attr('transform', `translate(${(d.x1 + d.x2) / 2},${(d.y1 + d.y2) / 2}) rotate(${flip})`)
      .attr('dy', '-0.45em').text(encoding.messageLabel(d.m.message));
  });
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
    const ev = enter.append('g');
    ev.append('circle').attr('class', 'hit').attr('r', 10);
    ev.append('path').attr('class', 'glyph');
    if (model.interactive) model.interactive.event(ev);
    return ev;
  });
  sel.attr('class', (d) => `ev ev-${d.kind}${d.seq > model.seq ? ' future' : ''}`)
    .attr('data-seq', (d) => d.seq).attr('data-node', (d) => d.node)
    .attr('transform', (d) => `translate(${xs.get(d.node)},${yOf(model, d.seq)})`);
  sel.select('path.glyph').attr('d', glyphOf).attr('fill', (d) => eventFill(d, encoding));
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
  sel.select('rect.band').each(function band(d) {
    const names = d.kind === 'violation' ? d.nodes.filter((n) => xs.has(n)) : [...xs.keys()];
    const x = names.map((n) => xs.get(n));
    const x0 = d.kind === 'caption' ? model.left : Math.min(...x) - laneWidth * 0.35;
    const x1 = d.kind === 'caption' ? model.left + 6 : Math.max(...x) + laneWidth * 0.35;
    d3.select(this).attr('x', x0).attr('width', Math.max(4, x1 - x0)).attr('y', -5).attr('height', 10)
      .attr('fill', d.kind === 'violation' ? VIOLATION : null);
  });
  sel.select('text.icon').attr('x', 8).text((d) => MARK_ICONS[d.kind] || '•');
  sel.select('title').text((d) => (d.kind === 'violation' ? d.text : d.kind === 'caption' ? d.text : t(`spacetime.${d.kind}`)));
  sel.selectAll('text.what').data((d) => (d.kind === 'violation' ? [d] : [])).join('text').attr('class', 'what')
    .attr('x', (d) => Math.min(...d.nodes.filter((n) => xs.has(n)).map((n) => xs.get(n))) - laneWidth * 0.35)
    .attr('y', -9).text((d) => `⚠ ${d.invariant}`);
}

const MARK_ICONS = { violation: '⚠', partition: '✂', heal: '↔', caption: '❝' };

function drawPlayhead(g, model) {
  const y = model.axis.y(model.seq) + model.axis.scale / 2;
  const show = model.seq >= model.lo - 1 && model.seq <= model.hi + 1 && model.showPlayhead !== false;
  g.selectAll('line.playhead').data(show ? [y] : []).join('line').attr('class', 'playhead')
    .attr('x1', model.left).attr('x2', model.width).attr('y1', (d) => d).attr('y2', (d) => d);
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
