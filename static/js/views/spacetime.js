// The space-time diagram, live: a scrolling window over the whole run.
//
// Only the rows in view (plus a margin) are drawn, so 10,000 events cost what
// 40 do. A spacer gives the scroll container the full height; the SVG stays
// stuck to the top of the view and draws content at y - scrollTop. The view
// follows the playhead (newest event when live) unless the reader scrolled
// away; Ctrl+wheel or the buttons zoom around the pointer; the axis is one row
// per event or virtual time.

import {
  lanes, makeAxis, visibleSeqRange, zoomAt, followScrollTop, AXIS_SEQ, AXIS_TIME,
} from '../layout.js';
import { drawSpacetime } from './spacetime-draw.js';
import { itemMessage } from '../store.js';
import { h } from '../dom.js';

const d3 = globalThis.d3;
export const HEADER_PX = 46;
export const LEFT_PX = 84;
const ROW_DEFAULT = 18;
const MS_DEFAULT = 1;

export function createSpacetime(el, ctx) {
  const { store, encoding, t } = ctx;
  const tools = h('div', { class: 'st-tools' },
    h('button', { type: 'button', dataset: { action: 'axis' }, 'aria-label': t('spacetime.axis'), title: t('spacetime.axis'), onclick: toggleAxis }, t('spacetime.axis.seq')),
    h('button', { type: 'button', dataset: { action: 'zoom-out' }, 'aria-label': t('spacetime.zoomOut'), title: t('spacetime.zoomOut'), onclick: () => zoomBy(1 / 1.5) }, '−'),
    h('button', { type: 'button', dataset: { action: 'zoom-in' }, 'aria-label': t('spacetime.zoomIn'), title: t('spacetime.zoomIn'), onclick: () => zoomBy(1.5) }, '+'),
    h('button', { type: 'button', dataset: { action: 'fit' }, 'aria-label': t('spacetime.fit'), title: t('spacetime.fit'), onclick: fit }, t('spacetime.fitShort')));
  const scroller = h('div', { class: 'st-scroll', tabindex: 0, 'aria-label': t('spacetime.title') });
  const spacer = h('div', { class: 'st-spacer' });
  el.append(tools, scroller);
  const svg = d3.select(scroller).append('svg').attr('class', 'spacetime').attr('role', 'group')
    .attr('aria-label', t('spacetime.title'));
  scroller.append(spacer);
  const defs = svg.append('defs');
  const content = svg.append('g').attr('class', 'st-content');
  const header = svg.append('g').attr('class', 'st-header');
  let axisMode = AXIS_SEQ;
  let rowPx = ROW_DEFAULT;
  let msPx = MS_DEFAULT;
  let follow = true;
  let lastFrame = null;
  let scrollTop = 0; // the scroll position drawn for; read from the DOM only on a scroll event
  let pending = false;
  let size = { width: scroller.clientWidth || 700, height: scroller.clientHeight || 500 };

  new ResizeObserver(() => {
    size = { width: scroller.clientWidth, height: scroller.clientHeight };
    redraw();
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
  };

  function axis() {
    return makeAxis({ mode: axisMode, rowPx, msPx, top: HEADER_PX + 10, times: store.timeline.times });
  }

  /** Left margin wide enough for the longest time label. */
  function left() {
    return Math.max(LEFT_PX, String(Math.round(store.timeline.lastTime)).length * 9.5 + 50);
  }

  function lanesNow() {
    const names = store.timeline.nodeOrder;
    const longest = Math.max(3, ...names.map((n) => shortName(n).length));
    return lanes(names, { left: left(), width: size.width, minWidth: Math.max(48, longest * 11 + 14) });
  }

  function update(frame) {
    // Moving through history (a seek, Back, local playback) brings the playhead into view; new
    // events while live do not pull back a reader who scrolled away.
    if (lastFrame && lastFrame.seq !== frame.seq && !store.follow) follow = true;
    const seqMoved = !lastFrame || lastFrame.seq !== frame.seq || lastFrame.timelineLength !== frame.timeline.lastSeq;
    lastFrame = { seq: frame.seq, timelineLength: frame.timeline.lastSeq };
    if (seqMoved) redraw();
  }

  /** Redraw once, at the next animation frame (scrolling fires faster than frames). */
  function requestRedraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; redraw(); });
  }

  function redraw() {
    if (!lastFrame) return;
    const timeline = store.timeline;
    const ax = axis();
    const ln = lanesNow();
    const contentHeight = ax.height + 40;
    // Writes only: reading layout here (scrollTop) after these writes would force a layout per redraw.
    spacer.style.height = `${Math.max(0, contentHeight - size.height)}px`;
    spacer.style.width = '1px';
    svg.attr('width', Math.max(size.width, ln.width)).attr('height', size.height);
    if (follow) keepInView(ax, contentHeight);
    const top = scrollTop;
    const { lo, hi } = visibleSeqRange(ax, top, size.height, timeline.times, 60);
    content.attr('transform', `translate(0,${-top})`);
    drawSpacetime(content, {
      timeline, seq: lastFrame.seq, lo, hi, axis: ax, xs: ln.xs, laneWidth: ln.laneWidth, left: left(),
      width: ln.width, encoding, t, interactive, defs,
    });
    drawHeader(ln);
    highlight(store.hover);
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
    header.selectAll('rect.st-header-bg').data([0]).join('rect').attr('class', 'st-header-bg')
      .attr('width', ln.width).attr('height', HEADER_PX);
    const sel = header.selectAll('g.lane-head').data(timeline.nodeOrder, (d) => d).join((enter) => {
      const g = enter.append('g').attr('class', 'lane-head').attr('data-node', (d) => d)
        .on('mouseenter', (ev, d) => store.setHover({ kind: 'node', name: d }))
        .on('mouseleave', () => store.setHover(null))
        .on('click', (ev, d) => ctx.openNodeMenu(d, ev));
      g.append('rect').attr('class', 'phase-chip');
      g.append('text').attr('dy', '0.35em');
      return g;
    });
    sel.attr('transform', (d) => `translate(${ln.xs.get(d)},${HEADER_PX / 2})`);
    sel.select('text').text((d) => (d.length * 10 > ln.laneWidth - 8 ? shortName(d) : d));
    sel.select('rect.phase-chip').each(function chip(d) {
      const node = snapshot.nodeMap[d];
      const w = Math.min(ln.laneWidth - 8, Math.max(40, d.length * 11 + 16));
      d3.select(this).attr('x', -w / 2).attr('y', -15).attr('width', w).attr('height', 30).attr('rx', 6)
        .attr('fill', node && node.up ? encoding.phase(node.phase).colour : '#BDBDBD')
        .classed('down', Boolean(node && !node.up));
    });
  }

  function highlight(item) {
    const msgId = itemMessage(item, store.timeline);
    content.selectAll('g.arrow').classed('hl', (d) => d.m.id === msgId);
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
    spacer.style.height = `${Math.max(0, axis().height + 40 - size.height)}px`;
    scrollTop = z.scrollTop;
    scroller.scrollTop = z.scrollTop;
    redraw();
  }

  function fit() {
    const timeline = store.timeline;
    const room = size.height - HEADER_PX - 50;
    if (axisMode === AXIS_SEQ) rowPx = Math.max(3, Math.min(60, room / Math.max(1, timeline.lastSeq)));
    else msPx = Math.max(0.02, Math.min(40, room / Math.max(1, timeline.lastTime)));
    follow = true;
    redraw();
  }

  function toggleAxis(ev) {
    axisMode = axisMode === AXIS_SEQ ? AXIS_TIME : AXIS_SEQ;
    ev.currentTarget.textContent = t(axisMode === AXIS_SEQ ? 'spacetime.axis.seq' : 'spacetime.axis.time');
    follow = true;
    redraw();
  }

  store.on('hover', highlight);
  store.on('reset', () => { content.selectAll('*').remove(); lastFrame = null; follow = true; scrollTop = 0; });
  let wasLive = store.follow;
  store.on('playhead', () => { // pressing Live brings the newest event into view
    if (store.follow && !wasLive) follow = true;
    wasLive = store.follow;
  });

  return {
    update, highlight,
    /** Return the current drawing settings (for export). */
    settings: () => ({ axisMode, rowPx, msPx, width: size.width }),
  };
}

/** Return a short lane label for a long node name ("coordinator" -> "coord"). */
export function shortName(name) {
  return name.length > 6 ? name.slice(0, 5) : name;
}
