// Topology: the nodes, placed by role, and the messages travelling between them.
//
// Each frame draws the messages in flight at the playhead seq at the position
// their virtual send and arrival times give against the playhead time `tau`
// (layout.flyingMessages). A dropped message falls away where it died; a
// crashed node is grey and dashed; a paused one carries a pause badge; a
// partition cuts the links that cross it. Keyed joins throughout: nodes by
// name, messages by id, links by pair.
//
// Cost. Links, nodes and the legend change only with the seq; each frame moves
// messages and timer arcs and nothing else, and an element is written only
// when what it shows changed (every element remembers what it drew). Past
// BUNDLE_ABOVE messages in flight, one bundle per directed link (with a count)
// replaces the single marks (topology-bundles.js, a path per colour): a
// classroom run keeps its labelled messages, a 32-node storm draws a few
// hundred dots instead of moving a thousand labelled SVG boxes.

import {
  placeNodes, flyingMessages, bundleMessages, pointAlong, linkPath, linkBend, isCut, trimmed, boxRim,
  messageProgress, nodeRadius, NODE_RADIUS, BUNDLE_ABOVE, SINGLES_BELOW,
} from '../layout.js';
import { itemMessage } from '../store.js';
import { CRASHED, inkFor } from '../protocols/palette.js';
import { h, fill, layerBox } from '../dom.js';
import { createBundleLayer } from './topology-bundles.js';

const d3 = globalThis.d3;
const BEND = 16;
const FALL_MS = 1100;


/** Pixels kept clear above the top row of nodes for the pause badge. */
const BADGE_ROOM = 14;
export function createTopology(el, ctx) {
  const { store, encoding, t } = ctx;
  // Three stacked layers with one viewBox, each composited on its own (lab.css), so that what moves
  // every frame (messages, bundles, timer arcs) is repainted without the links under it or the nodes
  // over it. Messages pass under the nodes: they emerge from their sender and sink into their addressee.
  const layer = (cls) => d3.select(layerBox(el, `topology-box ${cls}-box`)).append('svg').attr('class', `topology-layer ${cls}`);
  const under = layer('topology-links').attr('aria-hidden', 'true');
  const flight = layer('topology-flight');
  const svg = layer('topology').attr('role', 'group').attr('aria-label', t('topology.title'));
  const gLinks = under.append('g').attr('class', 'links');
  const gCuts = under.append('g').attr('class', 'cuts');
  const gArcs = flight.append('g').attr('class', 'timer-arcs');
  const gMsgs = flight.append('g').attr('class', 'messages');
  const bundles = createBundleLayer(el, flight, { store, encoding, pathOf });
  const gFall = flight.append('g').attr('class', 'falling');
  const gNodes = svg.append('g').attr('class', 'nodes');
  const legend = h('div', { class: 'topology-legend', 'aria-hidden': 'true' });
  el.append(legend);
  let size = { width: el.clientWidth || 600, height: el.clientHeight || 320 };
  let places = new Map();
  let R = NODE_RADIUS; // shrinks when many nodes share the pane
  const boxes = new Map(); // node -> {w, h, round}: its drawn shape, so messages leave from its edge
  const bends = new Map(); // "a|b" (sorted) -> how far its link bends, for the current placement
  const paths = new Map(); // "src>dst" -> {from, to, bend}: where a message on that link flies
  let placedFor = '';
  let linksFor = '';
  let legendFor = '';
  const fallen = new Set();
  let lastSeq = -1;
  let drawnVersion = -1;
  let bundled = false;

  new ResizeObserver(() => {
    size = { width: el.clientWidth, height: el.clientHeight };
    placedFor = '';
    ctx.player.invalidate();
  }).observe(el);

  /** Place the nodes for this pane and node list; return true when the places changed. */
  function place(nodes) {
    const key = `${size.width}x${size.height}:${nodes.map((n) => n.name).join(',')}`;
    if (key === placedFor) return false;
    placedFor = key;
    // Sized in pixels, not 100%: a percentage-sized SVG is laid out again, all of it, whenever its
    // container is (a legend or a sibling layer changing was enough, every frame).
    for (const l of [under, flight, svg]) {
      l.attr('viewBox', `0 0 ${size.width} ${size.height}`).attr('width', size.width).attr('height', size.height);
    }
    // Room for the phase label under the bottom row, and above the top one for a paused node's badge
    // (drawn over the node: without BADGE_ROOM a paused client in the top row lost its badge to the edge).
    const many = nodes.length > 8;
    const shifted = placeNodes(nodes, { width: size.width, height: size.height - (many ? 34 : 22) - BADGE_ROOM, roleOrder: encoding.roleOrder, tiers: encoding.tiers, margin: many ? 40 : 52 });
    places = new Map([...shifted].map(([n, p]) => [n, { x: p.x, y: p.y - 4 + BADGE_ROOM }]));
    R = nodeRadius(places);
    svg.classed('crowded', crowded());
    el.classList.toggle('crowded', crowded());
    bends.clear();
    paths.clear();
    linksFor = '';
    return true;
  }

  function crowded() { return R < NODE_RADIUS - 4; }

  function update(frame) {
    const { snapshot, timeline, tau } = frame;
    if (frame.seq < lastSeq) fallen.clear();
    const placed = place(snapshot.nodes);
    // Links, nodes and the legend change only with the seq (or the pane's size); each frame moves
    // messages and timer arcs.
    if (frame.seq !== lastSeq || placed || timeline.version !== drawnVersion) {
      drawLinks(snapshot, timeline);
      drawNodes(snapshot, placed);
      drawnVersion = timeline.version;
    }
    lastSeq = frame.seq;
    drawTimers(tau);
    const ended = frame.fromSeq < frame.seq ? timeline.messagesEndedBetween(frame.fromSeq, frame.seq) : [];
    const flying = flyingMessages(snapshot.inFlight, ended, tau).filter((f) => places.has(f.msg.src) && places.has(f.msg.dst));
    bundled = bundled ? flying.length >= SINGLES_BELOW : flying.length > BUNDLE_ABOVE;
    drawMessages(bundled ? [] : flying);
    bundles.draw(bundled ? bundleMessages(flying) : [], store.hover && store.hover.kind === 'bundle' ? store.hover.id : null);
    drawLegend(snapshot);
    dropAway(ended, tau);
  }

  function drawLinks(snapshot, timeline) {
    const pairs = [];
    for (const [key, seq] of timeline.links) if (seq <= snapshot.seq) pairs.push(key);
    const groups = snapshot.partition;
    const key = `${placedFor}|${pairs.length}|${groups ? JSON.stringify(groups) : ''}`;
    if (key === linksFor) return; // links only ever appear, and cuts change with the partition
    linksFor = key;
    const split = pairs.map((k) => k.split('|'));
    if (groups) {
      const known = new Set(pairs);
      const names = snapshot.nodes.map((n) => n.name);
      for (const a of names) for (const b of names) {
        if (a < b && isCut(groups, a, b) && !known.has(`${a}|${b}`)) split.push([a, b]);
      }
    }
    const links = split.filter(([a, b]) => places.has(a) && places.has(b))
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

  /** Return the bend of the link between two nodes (sorted names: one bend per pair), computed once per placement. */
  function bendOf(a, b) {
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let bend = bends.get(key);
    if (bend === undefined) {
      const others = [];
      for (const [n, p] of places) if (n !== a && n !== b) others.push(p);
      bend = linkBend(places.get(a), places.get(b), others, R + 6);
      bends.set(key, bend);
    }
    return bend;
  }

  /**
   * Return where messages from src to dst fly: from just outside the sender's shape to just outside
   * the addressee's, beside their link on the right of their direction (so the two directions never
   * overlap). Computed once per placement and pair.
   */
  function pathOf(src, dst) {
    const key = `${src}>${dst}`;
    let path = paths.get(key);
    if (!path) {
      const a = places.get(src);
      const b = places.get(dst);
      const box = (name) => boxes.get(name) || { w: 2 * R, h: 2 * R, round: true };
      const rim = (p, q, name, gap) => (box(name).round ? trimmed(p, q, R + gap) : boxRim(p, q, box(name).w, box(name).h, gap));
      const [x] = [src, dst].sort();
      const base = bendOf(src, dst);
      path = { from: rim(a, b, src, 14), to: rim(b, a, dst, 14), bend: (src === x ? base : -base) + BEND };
      paths.set(key, path);
    }
    return path;
  }

  function drawNodes(snapshot, placed) {
    const nodes = snapshot.nodes.filter((n) => places.has(n.name));
    const sel = gNodes.selectAll('g.node').data(nodes, (d) => d.name).join((enter) => {
      const g = enter.append('g').attr('class', 'node').attr('data-node', (d) => d.name)
        .attr('tabindex', 0).attr('role', 'button')
        .on('mouseenter', (ev, d) => store.setHover({ kind: 'node', name: d.name }))
        .on('mouseleave', () => store.setHover(null))
        .on('click', (ev, d) => ctx.openNodeMenu(d.name, ev))
        .on('keydown', (ev, d) => { if (ev.key === 'Enter') ctx.openNodeMenu(d.name, ev); });
      g.append('rect').attr('class', 'body');
      g.append('text').attr('class', 'name').attr('dy', '0.35em');
      g.append('text').attr('class', 'phase');
      g.append('text').attr('class', 'badge');
      return g;
    });
    // Each node's timer arc, in the flight layer under it (it changes every frame).
    gArcs.selectAll('path.timer-arc').data(nodes, (d) => d.name)
      .join((enter) => enter.append('path').attr('class', 'timer-arc').attr('data-node', (d) => d.name))
      .each(function at(d) {
        const p = places.get(d.name);
        const transform = `translate(${p.x},${p.y})`;
        if (this.__transform !== transform) { this.__transform = transform; this.setAttribute('transform', transform); }
      });
    let reshaped = false;
    sel.each(function paint(d) {
      // What the node shows: a new node object with the same look (a counter in its state moved) is not redrawn.
      const look = `${R}|${d.role}|${d.phase}|${d.up}|${d.paused}|${placedFor}`;
      if (this.__look === look) return;
      this.__look = look;
      if (drawNode(d3.select(this), d)) reshaped = true;
    });
    if (reshaped) paths.clear();
    if (placed || reshaped) highlight(store.hover);
  }

  /** Draw one node; return true when its shape's size changed (messages leave from its edge). */
  function drawNode(g, d) {
    const p = places.get(d.name);
    const square = encoding.role(d.role).shape === 'square';
    const colour = d.up ? encoding.phase(d.phase).colour : CRASHED;
    const w = square ? Math.max(2 * R, d.name.length * 11 + 24) : 2 * R;
    const old = boxes.get(d.name);
    const reshaped = !old || old.w !== w || old.h !== 2 * R || old.round === square;
    boxes.set(d.name, { w, h: 2 * R, round: !square });
    g.attr('transform', `translate(${p.x},${p.y})`)
      .classed('down', !d.up).classed('paused', d.paused)
      .attr('aria-label', `${d.name}: ${encoding.role(d.role).label}, ${d.phase ?? ''}${d.up ? '' : `, ${t('node.crashed')}`}${d.paused ? `, ${t('node.paused')}` : ''}`);
    g.select('rect.body').attr('x', -w / 2).attr('y', -R).attr('width', w).attr('height', 2 * R)
      .attr('rx', square ? 12 : R).attr('fill', colour);
    // A rectangle (a leader) has room for its phase inside; a circle carries it underneath.
    const ink = inkFor(colour);
    g.select('text.name').text(d.name).attr('y', square ? -R * 0.32 : 0).attr('fill', ink);
    g.select('text.phase').classed('inside', square).attr('y', square ? R * 0.52 : R + 20)
      .attr('fill', square ? ink : null)
      .text(d.up ? encoding.phase(d.phase).label : `✕ ${t('node.crashed')}`);
    g.select('text.badge').attr('y', -R - 10).text(d.paused ? `❚❚ ${t('node.paused')}` : '');
    return reshaped;
  }

  /** Redraw the timer arcs whose drawing changed (the only per-frame change to nodes). */
  function drawTimers(tau) {
    for (const arc of gArcs.node().children) {
      const path = timerArc(arc.__data__, tau, R);
      if (arc.__d !== path) { arc.__d = path; arc.setAttribute('d', path); }
    }
  }

  function drawMessages(flying) {
    const msgId = itemMessage(store.hover, store.timeline);
    const sel = gMsgs.selectAll('g.msg').data(flying, (d) => d.msg.id).join((enter) => {
      const g = enter.append('g').attr('class', 'msg')
        .attr('data-msg', (d) => d.msg.id).attr('data-seq', (d) => d.msg.sendSeq)
        .classed('hl', (d) => d.msg.id === msgId)
        .on('mouseenter', (ev, d) => store.setHover({ kind: 'message', id: d.msg.id }))
        .on('mouseleave', () => store.setHover(null))
        .on('click', (ev, d) => store.select({ kind: 'message', id: d.msg.id }));
      g.append('rect');
      g.append('text').attr('dy', '0.35em');
      return g;
    });
    const small = crowded(); // many nodes: messages become dots (hover names them)
    sel.each(function position(d) {
      if (this.__small !== small) { // the look: set once, and again only if the pane gets crowded
        this.__small = small;
        const label = encoding.messageLabel(d.msg.message);
        const look = encoding.message(d.msg.type);
        const w = small ? 16 : label.length * 9.5 + 14;
        const [rect, text] = this.children;
        d3.select(rect).attr('x', -w / 2).attr('y', small ? -8 : -13).attr('width', w).attr('height', small ? 16 : 26)
          .attr('rx', small ? 8 : 6).attr('fill', look.colour).attr('stroke-dasharray', look.dash);
        d3.select(text).text(small ? '' : label).attr('fill', inkFor(look.colour));
      }
      const path = pathOf(d.msg.src, d.msg.dst);
      moveTo(this, pointAlong(path.from, path.to, d.progress, path.bend));
      if (this.__held !== d.held) { this.__held = d.held; this.classList.toggle('held', d.held); }
    });
  }

  /** Let each newly dropped message fall away from where it died (wall-clock animation). */
  function dropAway(ended, tau) {
    for (const msg of ended) {
      if (!msg || msg.endKind !== 'dropped' || tau < msg.endTime || fallen.has(msg.id)) continue;
      fallen.add(msg.id);
      if (!places.has(msg.src) || !places.has(msg.dst)) continue;
      const path = pathOf(msg.src, msg.dst);
      const p = pointAlong(path.from, path.to, messageProgress(msg, msg.endTime) ?? 0.15, path.bend);
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

  /**
   * When the nodes are too crowded for phase labels, count the nodes per phase in a legend instead;
   * when messages travel in bundles, count them there by type too.
   */
  function drawLegend(snapshot) {
    const phases = new Map();
    if (crowded()) {
      for (const n of snapshot.nodes) {
        const key = n.up ? n.phase : null;
        phases.set(key, (phases.get(key) || 0) + 1);
      }
    }
    const types = new Map();
    if (bundled) for (const m of snapshot.inFlight) types.set(m.type, (types.get(m.type) || 0) + 1);
    const key = `${[...phases].join(';')}|${[...types].join(';')}`;
    if (key === legendFor) return;
    legendFor = key;
    legend.hidden = !phases.size && !types.size;
    const items = [...phases].map(([phase, n]) => {
      const colour = phase === null ? CRASHED : encoding.phase(phase).colour;
      return h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${colour}` }),
        `${phase === null ? t('node.crashed') : encoding.phase(phase).label} ${n}`);
    });
    if (types.size) {
      const total = [...types.values()].reduce((a, b) => a + b, 0);
      items.push(h('span', { class: 'legend-item legend-flight' }, `${t('details.inFlight')} ${total}:`,
        [...types].map(([type, n]) => h('span', { class: 'legend-item' },
          h('span', { class: 'swatch round', style: `background:${encoding.message(type).colour}` }), `${encoding.message(type).label} ${n}`))));
    }
    fill(legend, items);
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

/** Move an element to a point, writing its transform only when it moved by a tenth of a pixel. */
function moveTo(node, p) {
  const transform = `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`;
  if (node.__transform !== transform) { node.__transform = transform; node.setAttribute('transform', transform); }
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
  // Whole pixels: the arc grows by under a pixel a frame, so most frames leave it as it was.
  return `M0,${-r} A${r},${r} 0 ${large} 1 ${Math.round(r * Math.cos(end))},${Math.round(r * Math.sin(end))}`;
}
