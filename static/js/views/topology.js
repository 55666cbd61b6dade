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
  messageProgress, clearOf, NODE_RADIUS, BUNDLE_ABOVE, SINGLES_BELOW,
} from '../layout.js';
import { itemMessage } from '../store.js';
import { CRASHED, inkFor } from '../protocols/palette.js';
import { h, fill, layerBox } from '../dom.js';
import { createBundleLayer } from './topology-bundles.js';

const d3 = globalThis.d3;
const BEND = 16;
const FALL_MS = 1100;
const FONTS = { name: '700 20px', phase: '600 17px', message: '700 15px' };
/** The fonts lab.css gives a node's name and phase and a message's label (measured to lay them out). */
const BADGE_ROOM = 22;
/** Room above a node for its pause badge. */
const PHASE_ROOM = 28;
/** Room under a round node for its phase. */
const CROWDED_BELOW = 0.8;
/** Below this scale with phases under the nodes, phases go (the legend counts them) and nodes grow again. */

export function createTopology(el, ctx) {
  const { store, encoding, t } = ctx;
  // Three stacked layers with one viewBox, each composited on its own (lab.css), so that what moves
  // every frame (messages, bundles, timer arcs) is repainted without the links under it or the nodes
  // over it. Messages pass under the nodes: they emerge from their sender and sink into their addressee.
  // The legend sits under the stage, never over a node: the stage is what is left of the pane.
  const stage = h('div', { class: 'topology-stage' });
  el.append(stage);
  const layer = (cls) => d3.select(layerBox(stage, `topology-box ${cls}-box`)).append('svg').attr('class', `topology-layer ${cls}`);
  const under = layer('topology-links').attr('aria-hidden', 'true');
  const flight = layer('topology-flight');
  const svg = layer('topology').attr('role', 'group').attr('aria-label', t('topology.title'));
  const gLinks = under.append('g').attr('class', 'links');
  const gCuts = under.append('g').attr('class', 'cuts');
  const gArcs = flight.append('g').attr('class', 'timer-arcs');
  const gMsgs = flight.append('g').attr('class', 'messages');
  const bundles = createBundleLayer(stage, flight, { store, encoding, pathOf });
  const gFall = flight.append('g').attr('class', 'falling');
  const gNodes = svg.append('g').attr('class', 'nodes');
  const legend = h('div', { class: 'topology-legend', 'aria-hidden': 'true' });
  el.append(legend);
  let size = { width: stage.clientWidth || 600, height: stage.clientHeight || 320 };
  let places = new Map();
  let scale = 1; // every node is drawn at this scale (layout-nodes.js): smaller when many share the pane
  let R = NODE_RADIUS; // a node's half height, scaled
  let labelled = true; // phases drawn under round nodes (else counted in the legend)
  let obstacles = []; // each node's footprint (box and labels), in pane pixels: no message label goes over one
  const measure = textMeasure(el);
  const boxes = new Map(); // node -> {w, h, round, x}: its drawn shape (scaled), so messages leave from its edge
  const bends = new Map(); // "a|b" (sorted) -> how far its link bends, for the current placement
  const paths = new Map(); // "src>dst" -> {from, to, bend}: where a message on that link flies
  let placedFor = '';
  let linksFor = '';
  let legendFor = '';
  const fallen = new Set();
  const lookCache = new Map(); // message id -> its looks (labelAt)
  let lastSeq = -1;
  let drawnVersion = -1;
  let bundled = false;

  new ResizeObserver(() => {
    size = { width: stage.clientWidth, height: stage.clientHeight };
    placedFor = '';
    ctx.player.invalidate();
  }).observe(stage);

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
    const at = (labels) => placeNodes(nodes, {
      width: size.width, height: size.height, roleOrder: encoding.roleOrder, tiers: encoding.tiers,
      attachedTo: encoding.attachedTo, footprint: (n) => footprint(n, labels),
    });
    let laid = at(true);
    labelled = laid.scale >= CROWDED_BELOW;
    if (!labelled) laid = at(false);
    places = laid.places;
    scale = laid.scale;
    R = NODE_RADIUS * scale;
    obstacles = nodes.filter((n) => places.has(n.name)).map((n) => {
      const p = places.get(n.name);
      const f = footprint(n, labelled);
      return { x0: p.x - (f.w * scale) / 2, x1: p.x + (f.w * scale) / 2, y0: p.y - f.above * scale, y1: p.y + f.below * scale };
    });
    svg.classed('crowded', crowded());
    el.classList.toggle('crowded', crowded());
    boxes.clear();
    bends.clear();
    paths.clear();
    linksFor = '';
    return true;
  }

  function crowded() { return !labelled; }

  /** Return a node's box width at scale 1: a square fits its name and phase, a round one its name. */
  function bodyWidth(n) {
    const square = encoding.role(n.role).shape === 'square';
    const name = measure(n.name, FONTS.name);
    return Math.ceil(square ? Math.max(2 * NODE_RADIUS, name + 24, widestPhase(n.role) + 20) : Math.max(2 * NODE_RADIUS, name + 22));
  }

  /** Return a node's footprint at scale 1 ({w, above, below} around its centre): its box and its labels. */
  function footprint(n, labels) {
    const w = bodyWidth(n);
    const under = labels && encoding.role(n.role).shape !== 'square';
    return { w: under ? Math.max(w, Math.ceil(widestPhase(n.role) + 8)) : w, above: NODE_RADIUS + BADGE_ROOM, below: NODE_RADIUS + (under ? PHASE_ROOM : 4) };
  }

  /** Return the width of the widest phase label a role can show (its transition table's phases, crashed). */
  function widestPhase(role) {
    const phases = new Set();
    for (const row of (ctx.catalogue && ctx.catalogue.transitions) || []) {
      if (row.role !== role) continue;
      if (row.from !== '*') phases.add(row.from);
      for (const to of row.to || []) phases.add(to);
    }
    const labels = [...phases].map((p) => encoding.phase(p).label);
    return Math.max(0, ...[...labels, `✕ ${t('node.crashed')}`].map((l) => measure(l, FONTS.phase)));
  }

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
        .on('mouseenter', (ev, d) => store.setHover({ kind: 'node', name: d.name }))
        .on('mouseleave', () => store.setHover(null))
        .on('click', (ev, d) => ctx.openNodeMenu(d.name, ev))
        .on('keydown', (ev, d) => { if (ev.key === 'Enter') ctx.openNodeMenu(d.name, ev); });
      // The box is the button (the keyboard's stop, named by nodeLabel: what the texts say, then the
      // role); the texts beside it are not read a second time.
      g.append('rect').attr('class', 'body').attr('tabindex', 0).attr('role', 'button');
      g.append('text').attr('class', 'name').attr('dy', '0.35em').attr('aria-hidden', 'true');
      g.append('text').attr('class', 'phase').attr('aria-hidden', 'true');
      g.append('text').attr('class', 'badge').attr('aria-hidden', 'true');
      return g;
    });
    // Each node's timer arc, in the flight layer under it (it changes every frame).
    gArcs.selectAll('path.timer-arc').data(nodes, (d) => d.name)
      .join((enter) => enter.append('path').attr('class', 'timer-arc').attr('data-node', (d) => d.name))
      .each(function at(d) {
        const p = places.get(d.name);
        // Round nodes wider than tall carry the arc around their left end.
        const transform = `translate(${p.x - Math.max(0, bodyWidth(d) / 2 - NODE_RADIUS) * scale},${p.y})`;
        if (this.__transform !== transform) { this.__transform = transform; this.setAttribute('transform', transform); }
      });
    let reshaped = false;
    sel.each(function paint(d) {
      // What the node shows: a new node object with the same look (a counter in its state moved) is not redrawn.
      const look = `${scale}|${labelled}|${d.role}|${d.phase}|${d.up}|${d.paused}|${placedFor}`;
      if (this.__look === look) return;
      this.__look = look;
      if (drawNode(d3.select(this), d)) reshaped = true;
    });
    if (reshaped) paths.clear();
    if (placed || reshaped) highlight(store.hover);
  }

  /** Draw one node (at scale 1, scaled by its transform); return true when its drawn size changed. */
  function drawNode(g, d) {
    const p = places.get(d.name);
    const r = NODE_RADIUS;
    const square = encoding.role(d.role).shape === 'square';
    const colour = d.up ? encoding.phase(d.phase).colour : CRASHED;
    const w = bodyWidth(d);
    const old = boxes.get(d.name);
    const box = { w: w * scale, h: 2 * R, round: !square && w === 2 * r };
    const reshaped = !old || old.w !== box.w || old.h !== box.h || old.round !== box.round;
    boxes.set(d.name, box);
    g.attr('transform', `translate(${p.x},${p.y}) scale(${scale})`)
      .classed('down', !d.up).classed('paused', d.paused);
    g.select('rect.body').attr('aria-label', nodeLabel(d)).attr('x', -w / 2).attr('y', -r).attr('width', w).attr('height', 2 * r)
      .attr('rx', square ? 12 : r).attr('fill', colour);
    // A rectangle (a leader) has room for its phase inside; a round node carries it underneath.
    const ink = inkFor(colour);
    g.select('text.name').text(d.name).attr('y', square ? -r * 0.32 : 0).attr('fill', ink);
    g.select('text.phase').classed('inside', square).attr('y', square ? r * 0.52 : r + 20)
      .attr('fill', square ? ink : null)
      .text(d.up ? encoding.phase(d.phase).label : `✕ ${t('node.crashed')}`);
    g.select('text.badge').attr('y', -r - 8).text(d.paused ? `❚❚ ${t('node.paused')}` : '');
    return reshaped;
  }

  /** Return a node's accessible name: what it shows (name, phase, badge) first, as spoken, then its role. */
  function nodeLabel(d) {
    const phase = d.up ? encoding.phase(d.phase).label : t('node.crashed');
    return `${d.name} ${phase}${d.paused ? ` ${t('node.paused')}` : ''}, ${encoding.role(d.role).label}`;
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
      g.append('title');
      return g;
    });
    const labelled = []; // the labels drawn so far this frame: a later one keeps clear of them too
    sel.each(function position(d) {
      const path = pathOf(d.msg.src, d.msg.dst);
      const p = pointAlong(path.from, path.to, d.progress, path.bend);
      moveTo(this, p);
      // The full label where it is clear of every node, node label and earlier label, else the
      // message's type, else a dot.
      const look = crowded() ? looksOf(d.msg).at(-1) : labelAt(d.msg, p, labelled);
      if (this.__look !== look) {
        this.__look = look;
        const [rect, text, title] = this.children;
        d3.select(rect).attr('x', -look.w / 2).attr('y', -look.h / 2).attr('width', look.w).attr('height', look.h)
          .attr('rx', look.text ? 6 : look.h / 2).attr('fill', look.colour).attr('stroke-dasharray', look.dash);
        d3.select(text).text(look.text).attr('fill', inkFor(look.colour));
        title.textContent = look.full;
      }
      if (this.__held !== d.held) { this.__held = d.held; this.classList.toggle('held', d.held); }
    });
  }

  /** Return how a message at point p is drawn: {text, full, w, h, colour, dash}, one object per look. */
  function labelAt(msg, p, labelled) {
    const looks = looksOf(msg);
    for (const look of looks) {
      if (!look.text) return look;
      const box = { x0: p.x - look.w / 2, x1: p.x + look.w / 2, y0: p.y - look.h / 2, y1: p.y + look.h / 2 };
      if (clearOf(box, obstacles) && clearOf(box, labelled)) {
        labelled.push(box);
        return look;
      }
    }
    return looks[looks.length - 1];
  }

  /** Return a message's looks, longest first (its label, its type, a dot), made once per message. */
  function looksOf(msg) {
    let looks = lookCache.get(msg.id);
    if (!looks) {
      const full = encoding.messageLabel(msg.message);
      const { colour, dash, label: type } = encoding.message(msg.type);
      const of = (text) => ({ text, full, w: text ? Math.ceil(measure(text, FONTS.message)) + 14 : 16, h: text ? 26 : 16, colour, dash });
      looks = [of(full), ...(type !== full ? [of(type)] : []), of('')];
      lookCache.set(msg.id, looks);
      if (lookCache.size > 4096) lookCache.delete(lookCache.keys().next().value);
    }
    return looks;
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
      const words = `✕ ${t('message.dropped')}`;
      const w = Math.ceil(measure(words, FONTS.message)) + 14; // as a message's label box (looksOf): 'dropped' outgrew 60 px
      g.append('rect').attr('x', -w / 2).attr('y', -13).attr('width', w).attr('height', 26).attr('rx', 6)
        .attr('fill', look.colour);
      g.append('text').attr('class', 'drop-x').attr('dy', '0.35em').text(words);
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

/** Return a function measuring a text's width in a font ('700 20px'), in the page's font, memoised. */
function textMeasure(el) {
  const canvas = document.createElement('canvas').getContext('2d');
  const memo = new Map();
  let family = null;
  return (text, font) => {
    const key = `${font}|${text}`;
    let w = memo.get(key);
    if (w === undefined) {
      family = family || getComputedStyle(el).fontFamily || 'sans-serif';
      canvas.font = `${font} ${family}`;
      w = canvas.measureText(text).width;
      memo.set(key, w);
    }
    return w;
  };
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
