// Topology: the nodes, placed by role, and the messages travelling between them.
//
// Each frame draws the messages in flight at the playhead seq at the position
// their virtual send and arrival times give against the playhead time `tau`
// (layout.flyingMessages). A dropped message falls away where it died; a
// crashed node is grey and dashed; a paused one carries a pause badge; a
// partition cuts the links that cross it. Keyed joins throughout: nodes by
// name, messages by id, links by pair.

import {
  placeNodes, flyingMessages, pointAlong, linkPath, linkBend, isCut, trimmed, boxRim, messageProgress, nodeRadius, NODE_RADIUS,
} from '../layout.js';
import { itemMessage } from '../store.js';
import { CRASHED, inkFor } from '../protocols/palette.js';
import { h, fill } from '../dom.js';

const d3 = globalThis.d3;
const BEND = 16;
const FALL_MS = 1100;

export function createTopology(el, ctx) {
  const { store, encoding, t } = ctx;
  const svg = d3.select(el).append('svg').attr('class', 'topology')
    .attr('role', 'group').attr('aria-label', t('topology.title'));
  // Messages pass under the nodes: they emerge from their sender and sink into their addressee.
  const gLinks = svg.append('g').attr('class', 'links');
  const gCuts = svg.append('g').attr('class', 'cuts');
  const gMsgs = svg.append('g').attr('class', 'messages');
  const gNodes = svg.append('g').attr('class', 'nodes');
  const gFall = svg.append('g').attr('class', 'falling');
  const legend = h('div', { class: 'topology-legend', 'aria-hidden': 'true' });
  el.append(legend);
  let size = { width: el.clientWidth || 600, height: el.clientHeight || 320 };
  let places = new Map();
  let R = NODE_RADIUS; // shrinks when many nodes share the pane
  const boxes = new Map(); // node -> {w, h, round}: its drawn shape, so messages leave from its edge
  let placedFor = '';
  const fallen = new Set();
  let lastSeq = -1;
  let drawnVersion = -1;

  new ResizeObserver(() => {
    size = { width: el.clientWidth, height: el.clientHeight };
    placedFor = '';
    ctx.player.invalidate();
  }).observe(el);

  function place(nodes) {
    const key = `${size.width}x${size.height}:${nodes.map((n) => n.name).join(',')}`;
    if (key === placedFor) return;
    placedFor = key;
    svg.attr('viewBox', `0 0 ${size.width} ${size.height}`);
    // Room for the phase label under the bottom row, less above the top one.
    const many = nodes.length > 8;
    const shifted = placeNodes(nodes, { width: size.width, height: size.height - (many ? 34 : 22), roleOrder: encoding.roleOrder, margin: many ? 40 : 52 });
    places = new Map([...shifted].map(([n, p]) => [n, { x: p.x, y: p.y - 4 }]));
    R = nodeRadius(places);
    svg.classed('crowded', R < NODE_RADIUS - 4);
  }

  function update(frame) {
    const { snapshot, timeline, tau } = frame;
    if (frame.seq < lastSeq) fallen.clear();
    const before = placedFor;
    place(snapshot.nodes);
    // Links, nodes and the legend change only with the seq (or the pane's size); each frame moves
    // messages and timer arcs.
    if (frame.seq !== lastSeq || placedFor !== before || frame.timeline.version !== drawnVersion) {
      drawLinks(snapshot, timeline);
      drawNodes(snapshot);
      drawLegend(snapshot);
      drawnVersion = frame.timeline.version;
    }
    lastSeq = frame.seq;
    gNodes.selectAll('g.node').select('path.timer-arc').attr('d', (d) => timerArc(d, tau, R));
    const ended = frame.fromSeq < frame.seq ? timeline.messagesEndedBetween(frame.fromSeq, frame.seq) : [];
    drawMessages(flyingMessages(snapshot.inFlight, ended, tau));
    dropAway(ended, tau);
    highlight(store.hover);
  }

  function drawLinks(snapshot, timeline) {
    const pairs = [];
    for (const [key, seq] of timeline.links) if (seq <= snapshot.seq) pairs.push(key.split('|'));
    const groups = snapshot.partition;
    if (groups) {
      const names = snapshot.nodes.map((n) => n.name);
      for (const a of names) for (const b of names) {
        if (a < b && isCut(groups, a, b) && !pairs.some(([x, y]) => x === a && y === b)) pairs.push([a, b]);
      }
    }
    const links = pairs.filter(([a, b]) => places.has(a) && places.has(b))
      .map(([a, b]) => ({ key: `${a}|${b}`, a: places.get(a), b: places.get(b), cut: isCut(groups, a, b), bend: bendOf(a, b) }));
    gLinks.selectAll('path.link').data(links, (d) => d.key).join('path')
      .attr('class', (d) => (d.cut ? 'link cut' : 'link'))
      .attr('d', (d) => linkPath(d.a, d.b, d.bend));
    const cuts = links.filter((d) => d.cut);
    gCuts.selectAll('g.cut-mark').data(cuts, (d) => d.key).join((enter) => {
      const g = enter.append('g').attr('class', 'cut-mark');
      g.append('circle').attr('r', 14);
      g.append('text').attr('dy', '0.35em').text('✂');
      g.append('title').text(t('topology.cut'));
      return g;
    }).attr('transform', (d) => {
      const m = pointAlong(d.a, d.b, 0.5, d.bend);
      return `translate(${m.x},${m.y})`;
    });
  }

  /** Return the bend of the link between two nodes (sorted names: one bend per pair). */
  function bendOf(a, b) {
    const others = [...places].filter(([n]) => n !== a && n !== b).map(([, p]) => p);
    return linkBend(places.get(a), places.get(b), others, R + 6);
  }

  /** Return where a message's flight starts and ends: just outside its sender's and addressee's shapes. */
  function ends(msg) {
    const a = places.get(msg.src);
    const b = places.get(msg.dst);
    const box = (name) => boxes.get(name) || { w: 2 * R, h: 2 * R, round: true };
    const rim = (p, q, name, gap) => (box(name).round ? trimmed(p, q, R + gap) : boxRim(p, q, box(name).w, box(name).h, gap));
    return { from: rim(a, b, msg.src, 14), to: rim(b, a, msg.dst, 14) };
  }

  /** Messages travel beside their link, on the right of their direction, so the two directions never overlap. */
  function messageBend(msg) {
    const [x, y] = [msg.src, msg.dst].sort();
    const base = bendOf(x, y);
    return (msg.src === x ? base : -base) + BEND;
  }

  function drawNodes(snapshot) {
    const nodes = snapshot.nodes.filter((n) => places.has(n.name));
    const sel = gNodes.selectAll('g.node').data(nodes, (d) => d.name).join((enter) => {
      const g = enter.append('g').attr('class', 'node').attr('data-node', (d) => d.name)
        .attr('tabindex', 0).attr('role', 'button')
        .on('mouseenter', (ev, d) => store.setHover({ kind: 'node', name: d.name }))
        .on('mouseleave', () => store.setHover(null))
        .on('click', (ev, d) => ctx.openNodeMenu(d.name, ev))
        .on('keydown', (ev, d) => { if (ev.key === 'Enter') ctx.openNodeMenu(d.name, ev); });
      g.append('path').attr('class', 'timer-arc');
      g.append('rect').attr('class', 'body');
      g.append('text').attr('class', 'name').attr('dy', '0.35em');
      g.append('text').attr('class', 'phase');
      g.append('text').attr('class', 'badge');
      return g;
    });
    sel.attr('transform', (d) => `translate(${places.get(d.name).x},${places.get(d.name).y})`)
      .classed('down', (d) => !d.up).classed('paused', (d) => d.paused)
      .attr('aria-label', (d) => `${d.name}: ${encoding.role(d.role).label}, ${d.phase ?? ''}${d.up ? '' : `, ${t('node.crashed')}`}${d.paused ? `, ${t('node.paused')}` : ''}`);
    sel.select('rect.body').each(function shape(d) {
      const wide = Math.max(2 * R, d.name.length * 11 + 24);
      const square = encoding.role(d.role).shape === 'square';
      const w = square ? wide : 2 * R;
      const colour = d.up ? encoding.phase(d.phase).colour : CRASHED;
      boxes.set(d.name, { w, h: 2 * R, round: !square });
      d3.select(this).attr('x', -w / 2).attr('y', -R).attr('width', w).attr('height', 2 * R)
        .attr('rx', square ? 12 : R).attr('fill', colour);
    });
    // A rectangle (a leader) has room for its phase inside; a circle carries it underneath.
    const inside = (d) => encoding.role(d.role).shape === 'square';
    const ink = (d) => inkFor(d.up ? encoding.phase(d.phase).colour : CRASHED);
    sel.select('text.name').text((d) => d.name).attr('y', (d) => (inside(d) ? -R * 0.32 : 0)).attr('fill', ink);
    sel.select('text.phase').classed('inside', inside).attr('y', (d) => (inside(d) ? R * 0.52 : R + 20))
      .attr('fill', (d) => (inside(d) ? ink(d) : null))
      .text((d) => (d.up ? encoding.phase(d.phase).label : `✕ ${t('node.crashed')}`));
    sel.select('text.badge').attr('y', -R - 10)
      .text((d) => (d.paused ? `❚❚ ${t('node.paused')}` : ''));
  }

  function drawMessages(flying) {
    const data = flying.filter((f) => places.has(f.msg.src) && places.has(f.msg.dst));
    const sel = gMsgs.selectAll('g.msg').data(data, (d) => d.msg.id).join((enter) => {
      const g = enter.append('g').attr('class', 'msg')
        .attr('data-msg', (d) => d.msg.id).attr('data-seq', (d) => d.msg.sendSeq)
        .on('mouseenter', (ev, d) => store.setHover({ kind: 'message', id: d.msg.id }))
        .on('mouseleave', () => store.setHover(null))
        .on('click', (ev, d) => store.select({ kind: 'message', id: d.msg.id }));
      g.append('rect');
      g.append('text').attr('dy', '0.35em');
      return g;
    });
    sel.each(function position(d) {
      const label = encoding.messageLabel(d.msg.message);
      const look = encoding.message(d.msg.type);
      const { from, to } = ends(d.msg);
      const p = pointAlong(from, to, d.progress, messageBend(d.msg));
      const crowded = R < NODE_RADIUS - 4; // many nodes: messages become dots (hover names them)
      const w = crowded ? 16 : label.length * 9.5 + 14;
      const g = d3.select(this).attr('transform', `translate(${p.x},${p.y})`).classed('held', d.held);
      g.select('rect').attr('x', -w / 2).attr('y', crowded ? -8 : -13).attr('width', w).attr('height', crowded ? 16 : 26)
        .attr('rx', crowded ? 8 : 6).attr('fill', look.colour).attr('stroke-dasharray', look.dash);
      g.select('text').text(crowded ? '' : label).attr('fill', inkFor(look.colour));
    });
  }

  /** Let each newly dropped message fall away from where it died (wall-clock animation). */
  function dropAway(ended, tau) {
    for (const msg of ended) {
      if (!msg || msg.endKind !== 'dropped' || tau < msg.endTime || fallen.has(msg.id)) continue;
      fallen.add(msg.id);
      const a = places.get(msg.src);
      const b = places.get(msg.dst);
      if (!a || !b) continue;
      const { from, to } = ends(msg);
      const p = pointAlong(from, to, messageProgress(msg, msg.endTime) ?? 0.15, messageBend(msg));
      const look = encoding.message(msg.type);
      const g = gFall.append('g').attr('class', 'falling-msg').attr('data-msg', msg.id)
        .attr('transform', `translate(${p.x},${p.y})`);
      g.append('rect').attr('x', -30).attr('y', -13).attr('width', 60).attr('height', 26).attr('rx', 6)
        .attr('fill', look.colour);
      g.append('text').attr('class', 'drop-x').attr('dy', '0.35em').text(`✕ ${t('message.dropped')}`);
      g.transition().duration(FALL_MS).ease(d3.easeCubicIn)
        .attr('transform', `translate(${p.x + 12},${p.y + 90}) rotate(35)`).style('opacity', 0).remove();
    }
  }

  /** When the nodes are too crowded for phase labels, count the nodes per phase in a legend instead. */
  function drawLegend(snapshot) {
    const crowded = R < NODE_RADIUS - 4;
    legend.hidden = !crowded;
    if (!crowded) return;
    const counts = new Map();
    for (const n of snapshot.nodes) {
      const key = n.up ? n.phase : null;
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    fill(legend, [...counts].map(([phase, n]) => {
      const colour = phase === null ? CRASHED : encoding.phase(phase).colour;
      return h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${colour}` }),
        `${phase === null ? t('node.crashed') : encoding.phase(phase).label} ${n}`);
    }));
  }

  function highlight(item) {
    const msgId = itemMessage(item, store.timeline);
    gMsgs.selectAll('g.msg').classed('hl', (d) => d.msg.id === msgId);
    const name = item && item.kind === 'node' ? item.name : null;
    const ev = item && item.kind === 'event' ? store.timeline.event(item.seq) : null;
    gNodes.selectAll('g.node').classed('hl', (d) => d.name === name || (ev && ev.node === d.name));
  }

  store.on('hover', highlight);
  return { update, highlight };
}

/** Return the arc showing how much of a node's earliest timer has run (empty if none). */
function timerArc(node, tau, radius) {
  if (!node.up || !node.timers.length) return '';
  const timer = node.timers.reduce((a, b) => (b.due < a.due ? b : a));
  const span = timer.due - timer.setTime;
  const done = span > 0 ? Math.max(0, Math.min(1, (tau - timer.setTime) / span)) : 1;
  if (done <= 0) return '';
  const r = radius + 7;
  const end = -Math.PI / 2 + done * 2 * Math.PI * 0.999;
  const large = done > 0.5 ? 1 : 0;
  return `M0,${-r} A${r},${r} 0 ${large} 1 ${r * Math.cos(end)},${r * Math.sin(end)}`;
}
