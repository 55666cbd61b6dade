// The space-time diagram, live: a scrolling window over the whole run.
//
// Only the rows in view (plus a margin) are drawn, so 10,000 events cost what
// 40 do. The scroll container is as tall as the whole run; the browser scrolls
// it (on the compositor: no repaint), and the drawing lives in an SVG that
// covers a block of about three views around the one shown, moved when the
// view leaves it. The lane heads stay on top (a sticky SVG of their own). The
// view follows the playhead (newest event when live) unless the reader
// scrolled away; Ctrl+wheel or the buttons zoom around the pointer; the axis is
// one row per event or virtual time. A playhead move rewrites only what it
// changes (spacetime-draw.js).

import {
  lanes, laneChipWidth, makeAxis, visibleSeqRange, zoomAt, followScrollTop, AXIS_SEQ, AXIS_TIME,
} from '../layout.js';
import { drawSpacetime } from './spacetime-draw.js';
import { itemMessage } from '../store.js';
import { h, layerBox } from '../dom.js';

const d3 = globalThis.d3;
export const HEADER_PX = 46;
export const LEFT_PX = 84;
const ROW_DEFAULT = 18;
const CURSOR_PX = 64;
const CURSOR_ABOVE = 12; // room in the cursor layer above the playhead line
const MS_DEFAULT = 1;

export function createSpacetime(el, ctx) {
  const { store, encoding, t } = ctx;
  // Named by what it shows ("by event", "by time"), its purpose in the hint: a name must hold the visible words.
  const axisButton = h('button', { type: 'button', dataset: { action: 'axis' }, title: t('spacetime.axis'), onclick: toggleAxis }, t('spacetime.axis.seq'));
  // The lane picker: hide lanes to give the others room (a 14-node run on a laptop), show them again.
  const hiddenLanes = new Set();
  const laneList = h('div', { class: 'lane-list' });
  const lanePicker = h('details', { class: 'lane-picker' },
    h('summary', { dataset: { action: 'lanes' }, title: t('spacetime.lanesHint') }, t('spacetime.lanes')), laneList);
  lanePicker.addEventListener('toggle', () => { if (lanePicker.open) fillLanePicker(); });
  const tools = h('div', { class: 'st-tools' },
    lanePicker,
    axisButton,
    h('button', { type: 'button', dataset: { action: 'zoom-out' }, 'aria-label': t('spacetime.zoomOut'), title: t('spacetime.zoomOut'), onclick: () => zoomBy(1 / 1.5) }, '−'),
    h('button', { type: 'button', dataset: { action: 'zoom-in' }, 'aria-label': t('spacetime.zoomIn'), title: t('spacetime.zoomIn'), onclick: () => zoomBy(1.5) }, '+'),
    h('button', { type: 'button', dataset: { action: 'fit' }, 'aria-label': t('spacetime.fit'), title: t('spacetime.fit'), onclick: fit }, t('spacetime.fitShort')));
  // A named group (a plain div may not carry a name), focusable so the keyboard can scroll it.
  const scroller = h('div', { class: 'st-scroll', role: 'group', tabindex: 0, 'aria-label': t('spacetime.title') });
  const body = h('div', { class: 'st-body' }); // as tall as the whole run, below the lane heads
  el.append(tools, scroller);
  const header = d3.select(scroller).append('svg').attr('class', 'spacetime-head')
    .attr('height', HEADER_PX).append('g').attr('class', 'st-header');
  scroller.append(body);
  // Three layers, each in a box of its own (dom.layerBox): the drawing, the arrows in flight, the cursor.
  const boxes = { content: layerBox(body, 'st-content-box'), flight: layerBox(body, 'st-flight-box'), cursor: layerBox(body, 'st-cursor-box') };
  const svg = d3.select(boxes.content).append('svg').attr('class', 'spacetime').attr('role', 'group')
    .attr('aria-label', t('spacetime.title'));
  const defs = svg.append('defs');
  const content = svg.append('g').attr('class', 'st-content');
  // Arrows in flight end at the playhead: they change with every move, so they are drawn on a layer
  // of their own over the rest (repainting a few arrows, not the lanes and events under them).
  const flightSvg = d3.select(boxes.flight).append('svg').attr('class', 'spacetime st-flight');
  const flight = flightSvg.append('g').attr('class', 'st-content');
  // The cursor: the playhead line and the through counts, a layer of its own moved by a transform.
  const cursorSvg = d3.select(boxes.cursor).append('svg').attr('class', 'spacetime st-cursor').attr('height', CURSOR_PX);
  const cursor = {
    root: cursorSvg.append('g').attr('transform', `translate(0,${CURSOR_ABOVE})`),
    moveTo: (y) => write('cursor', `translate(0,${Math.round(y - HEADER_PX - CURSOR_ABOVE)}px)`, (v) => { boxes.cursor.style.transform = v; }),
  };
  let axisMode = AXIS_SEQ;
  let rowPx = ROW_DEFAULT;
  let msPx = MS_DEFAULT;
  let follow = true;
  let lastFrame = null;
  let scrollTop = 0; // the scroll position drawn for; read from the DOM only on a scroll event
  let dirty = true; // scrolled, resized, zoomed: draw again in the next frame even if the seq stays
  let size = { width: scroller.clientWidth || 700, height: scroller.clientHeight || 500 };
  let block = null; // {top, height, width, viewHeight}: the stretch of the run the SVGs cover, in content pixels
  const written = {}; // layout-affecting values last written

  new ResizeObserver(() => {
    size = { width: scroller.clientWidth, height: scroller.clientHeight };
    requestRedraw();
  }).observe(scroller);

  scroller.addEventListener('scroll', () => {
    const top = scroller.scrollTop;
    if (Math.abs(top - scrollTop) < 1) return; // our own scroll: already drawn for it
    scrollTop = top;
    if (lastFrame) { // the reader scrolled: follow again only if the playhead is still in view
      const y = axis().y(lastFrame.seq);
      follow = y >= top && y <= top + size.height - HEADER_PX;
    }
    requestRedraw();
  }, { passive: true });
  scroller.addEventListener('wheel', (ev) => {
    if (!ev.ctrlKey) return;
    ev.preventDefault();
    const rect = scroller.getBoundingClientRect();
    zoomBy(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientY - rect.top);
  }, { passive: false });

  const interactive = {
    event: (sel) => sel
      .on('mouseenter', (ev, d) => store.setHover({ kind: 'event', seq: d.seq }))
      .on('mouseleave', () => store.setHover(null))
      .on('click', (ev, d) => { store.seek(d.seq); store.select({ kind: 'event', seq: d.seq }); }),
    arrow: (sel) => sel
      .on('mouseenter', (ev, d) => store.setHover({ kind: 'message', id: d.m.id }))
      .on('mouseleave', () => store.setHover(null))
      .on('click', (ev, d) => store.select({ kind: 'message', id: d.m.id })),
    through: (sel) => sel
      .on('mouseenter', (ev, d) => store.setHover(throughItem(d)))
      .on('mouseleave', () => store.setHover(null))
      .on('click', (ev, d) => store.select(throughItem(d))),
  };

  function throughItem(d) {
    return { kind: 'bundle', id: d.key, dst: d.dst, ids: d.msgs.map((m) => m.id) };
  }

  function axis() {
    return makeAxis({ mode: axisMode, rowPx, msPx, top: HEADER_PX + 10, times: store.timeline.times });
  }

  /** Left margin wide enough for the longest time label. */
  function left() {
    return Math.max(LEFT_PX, String(Math.round(store.timeline.lastTime)).length * 9.5 + 50);
  }

  /** List every node with a check box: checked, its lane is drawn. */
  function fillLanePicker() {
    const boxes = store.timeline.nodeOrder.map((name) => h('label', { class: 'lane-choice' },
      h('input', { type: 'checkbox', checked: !hiddenLanes.has(name), dataset: { lane: name },
        onchange: (ev) => { if (ev.currentTarget.checked) hiddenLanes.delete(name); else hiddenLanes.add(name); lanesChanged(); } }),
      name));
    const all = h('button', { type: 'button', dataset: { action: 'all-lanes' },
      onclick: () => { hiddenLanes.clear(); lanesChanged(); fillLanePicker(); } }, t('spacetime.allLanes'));
    laneList.replaceChildren(all, ...boxes);
  }

  function lanesChanged() {
    lanePicker.querySelector('summary').classList.toggle('some-hidden', hiddenLanes.size > 0);
    requestRedraw();
  }

  function lanesNow() {
    // Every lane unless the reader hid some; never none (the last one stays).
    const shown = store.timeline.nodeOrder.filter((n) => !hiddenLanes.has(n));
    const names = shown.length ? shown : store.timeline.nodeOrder;
    const longest = Math.max(3, ...names.map((n) => shortName(n).length));
    // Wide enough for the longest name in bold (about 12 px a letter) and its box's padding.
    return lanes(names, { left: left(), width: size.width, minWidth: Math.max(48, longest * 12 + 32) });
  }

  /** Before any view writes: decide what to draw and scroll to it (a scroll write wants a clean layout). */
  function prepare(frame) {
    // Moving through history (a seek, Back, local playback) brings the playhead into view; new
    // events while live do not pull back a reader who scrolled away.
    if (lastFrame && lastFrame.seq !== frame.seq && !store.follow) follow = true;
    const seqMoved = !lastFrame || lastFrame.seq !== frame.seq || lastFrame.timelineLength !== frame.timeline.lastSeq;
    lastFrame = { seq: frame.seq, timelineLength: frame.timeline.lastSeq };
    if (seqMoved) dirty = true;
    if (!dirty) return;
    const ax = axis();
    const contentHeight = ax.height + 40;
    setHeight(contentHeight);
    if (follow) keepInView(ax, contentHeight);
  }

  /** Make the scrolled area as tall as the whole run (the lane heads take the first HEADER_PX). */
  function setHeight(contentHeight) {
    write('body', `${Math.max(size.height, contentHeight) - HEADER_PX}px`, (v) => { body.style.height = v; });
  }

  /** Keep the SVG over a block of about three views around the one shown; move it only when the view leaves it. */
  function placeBlock(width) {
    const margin = size.height / 4;
    const nearTop = block && block.top > 0 && scrollTop < block.top + margin;
    const nearBottom = block && scrollTop + size.height > block.top + block.height - margin;
    if (!block || block.width !== width || block.viewHeight !== size.height || nearTop || nearBottom) {
      const top = Math.max(0, Math.round(scrollTop - size.height));
      block = { top, height: Math.round(3 * size.height), width, viewHeight: size.height };
    }
    write('blockTop', `${block.top - HEADER_PX}px`, (v) => { boxes.content.style.top = v; boxes.flight.style.top = v; });
    write('width', String(width), (v) => {
      for (const node of [svg.node(), flightSvg.node(), cursorSvg.node(), header.node().ownerSVGElement]) node.setAttribute('width', v);
      for (const box of Object.values(boxes)) box.style.width = `${v}px`;
    });
    write('height', String(block.height), (v) => {
      svg.attr('height', v);
      flightSvg.attr('height', v);
      boxes.content.style.height = `${v}px`;
      boxes.flight.style.height = `${v}px`;
    });
    write('blockShift', `translate(0,${-block.top})`, (v) => { content.attr('transform', v); flight.attr('transform', v); });
  }

  function update() {
    if (dirty) redraw();
  }

  /** Draw again in the next animation frame (scrolling fires faster than frames). */
  function requestRedraw() {
    dirty = true;
    ctx.player.invalidate();
  }

  /** Write a layout-affecting value only when it changed. */
  function write(name, value, set) {
    if (written[name] === value) return;
    written[name] = value;
    set(value);
  }

  function redraw() {
    if (!lastFrame) return;
    dirty = false;
    const timeline = store.timeline;
    const ax = axis();
    const ln = lanesNow();
    // Writes only: reading layout here (scrollTop) after these writes would force a layout per redraw.
    placeBlock(Math.max(size.width, ln.width));
    const { lo, hi } = visibleSeqRange(ax, scrollTop, size.height, timeline.times, 120);
    drawSpacetime(content, {
      timeline, seq: lastFrame.seq, lo, hi, axis: ax, xs: ln.xs, laneWidth: ln.laneWidth, left: left(),
      width: ln.width, encoding, t, catalogue: ctx.catalogue, interactive, defs, through: true, keep: focusIds(), cursor, flight,
    });
    drawHeader(ln);
    highlight(store.hover);
  }

  /** Return the ids of the messages pointed at or clicked: drawn one by one whatever the crowd. */
  function focusIds() {
    const ids = new Set();
    for (const item of [store.hover, store.selected]) {
      const id = itemMessage(item, store.timeline);
      if (id) ids.add(id);
    }
    return ids;
  }

  function keepInView(ax, contentHeight) {
    const y = ax.y(lastFrame.seq);
    const top = scrollTop;
    if (y < top + HEADER_PX + 10 || y > top + size.height - 30) {
      const want = Math.min(followScrollTop(y, size.height, 60), Math.max(0, contentHeight - size.height));
      if (Math.abs(want - top) > 1) { scrollTop = want; scroller.scrollTop = want; }
    }
  }

  function drawHeader(ln) {
    const timeline = store.timeline;
    const snapshot = timeline.seek(lastFrame.seq);
    header.selectAll('rect.st-header-bg').data([ln.width]).join((enter) => enter.append('rect').attr('class', 'st-header-bg')
      .attr('height', HEADER_PX)).each(function bg(w) { if (this.__w !== w) { this.__w = w; this.setAttribute('width', w); } });
    const sel = header.selectAll('g.lane-head').data([...ln.xs.keys()], (d) => d).join((enter) => {
      const g = enter.append('g').attr('class', 'lane-head').attr('data-node', (d) => d)
        .on('mouseenter', (ev, d) => store.setHover({ kind: 'node', name: d }))
        .on('mouseleave', () => store.setHover(null))
        .on('click', (ev, d) => ctx.openNodeMenu(d, ev));
      g.append('rect').attr('class', 'phase-chip');
      g.append('text').attr('dy', '0.35em');
      return g;
    });
    sel.each(function head(d) {
      const node = snapshot.nodeMap[d];
      const x = ln.xs.get(d);
      const look = `${x}|${ln.laneWidth}|${node ? node.phase : ''}|${node ? node.up : ''}`;
      if (this.__look === look) return; // unchanged (a new node object may look the same)
      this.__look = look;
      const g = d3.select(this).attr('transform', `translate(${x},${HEADER_PX / 2})`);
      g.select('text').text(d.length * 10 > ln.laneWidth - 8 ? shortName(d) : d);
      const w = laneChipWidth(d, ln.laneWidth);
      g.select('rect.phase-chip').attr('x', -w / 2).attr('y', -15).attr('width', w).attr('height', 30).attr('rx', 6)
        .attr('fill', node && node.up ? encoding.phase(node.phase).colour : '#BDBDBD')
        .classed('down', Boolean(node && !node.up));
    });
  }

  function highlight(item) {
    const msgId = itemMessage(item, store.timeline);
    const bundle = item && item.kind === 'bundle' ? new Set(item.ids) : null;
    d3.select(body).selectAll('g.arrow').classed('hl', (d) => d.m.id === msgId || Boolean(bundle && bundle.has(d.m.id)));
    cursor.root.selectAll('g.through').classed('hl', (d) => Boolean(item && item.kind === 'bundle' && item.id === d.key));
    const seq = item && item.kind === 'event' ? item.seq : null;
    const msg = msgId ? store.timeline.messages.get(msgId) : null;
    content.selectAll('g.ev, g.mark').classed('hl', (d) => d.seq === seq
      || Boolean(msg && (d.seq === msg.sendSeq || d.seq === msg.endSeq)));
    const name = item && item.kind === 'node' ? item.name : null;
    header.selectAll('g.lane-head').classed('hl', (d) => d === name);
  }

  function zoomBy(factor, anchorY = size.height / 2) {
    const ax = axis();
    const z = zoomAt({ scale: ax.scale, scrollTop, anchorY, factor, top: ax.top,
      min: axisMode === AXIS_SEQ ? 3 : 0.02, max: axisMode === AXIS_SEQ ? 60 : 40 });
    if (axisMode === AXIS_SEQ) rowPx = z.scale; else msPx = z.scale;
    setHeight(axis().height + 40);
    scrollTop = z.scrollTop;
    scroller.scrollTop = z.scrollTop;
    requestRedraw();
    zoomed();
  }

  // The zoom is part of the teacher's view (follow.js): a change is announced, and applied from a view.
  function zoomed() {
    store.userMoved();
    store.emit('zoom', zoomState());
  }

  function zoomState() {
    return { axis: axisMode === AXIS_SEQ ? 'seq' : 'time', row_px: Math.round(rowPx * 1000) / 1000, ms_px: Math.round(msPx * 1000) / 1000 };
  }

  function setZoom(z) {
    const mode = z.axis === 'time' ? AXIS_TIME : AXIS_SEQ;
    const next = { rowPx: z.row_px ?? rowPx, msPx: z.ms_px ?? msPx };
    if (mode === axisMode && next.rowPx === rowPx && next.msPx === msPx) return;
    if (mode !== axisMode) {
      axisMode = mode;
      axisButton.textContent = t(axisMode === AXIS_SEQ ? 'spacetime.axis.seq' : 'spacetime.axis.time');
    }
    rowPx = Math.max(3, Math.min(60, next.rowPx));
    msPx = Math.max(0.02, Math.min(40, next.msPx));
    follow = true;
    requestRedraw();
  }

  function fit() {
    const timeline = store.timeline;
    const room = size.height - HEADER_PX - 50;
    if (axisMode === AXIS_SEQ) rowPx = Math.max(3, Math.min(60, room / Math.max(1, timeline.lastSeq)));
    else msPx = Math.max(0.02, Math.min(40, room / Math.max(1, timeline.lastTime)));
    follow = true;
    requestRedraw();
    zoomed();
  }

  function toggleAxis(ev) {
    axisMode = axisMode === AXIS_SEQ ? AXIS_TIME : AXIS_SEQ;
    ev.currentTarget.textContent = t(axisMode === AXIS_SEQ ? 'spacetime.axis.seq' : 'spacetime.axis.time');
    follow = true;
    requestRedraw();
    zoomed();
  }

  store.on('hover', (item) => {
    // A message pointed at is drawn one by one even among the many counted per addressee.
    const id = itemMessage(item, store.timeline);
    if (id && !d3.select(body).select(`g.arrow[data-msg="${CSS.escape(id)}"]`).size()) requestRedraw();
    highlight(item);
  });
  store.on('select', (item) => {
    const id = itemMessage(item, store.timeline);
    if (id && !d3.select(body).select(`g.arrow[data-msg="${CSS.escape(id)}"]`).size()) requestRedraw();
  });
  store.on('reset', () => { for (const g of [content, flight, cursor.root]) g.selectAll('*').remove(); lastFrame = null; follow = true; scrollTop = 0; block = null; dirty = true; });
  let wasLive = store.follow;
  store.on('playhead', () => { // pressing Live brings the newest event into view
    if (store.follow && !wasLive) follow = true;
    wasLive = store.follow;
  });

  return {
    prepare, update, highlight, setZoom,
    /** Return the zoom as the teacher's view carries it. */
    zoom: zoomState,
    /** Return the current drawing settings (for export). */
    settings: () => ({ axisMode, rowPx, msPx, width: size.width }),
  };
}

/** Return a short lane label for a long node name ("coordinator" -> "coord"). */
export function shortName(name) {
  return name.length > 6 ? name.slice(0, 5) : name;
}
