// The legend: what each marker, band, colour and shape of the space-time diagram and the topology
// means. It is made from the run itself (only the kinds of events, phases, message types and roles
// that occur in it), shown in the page as a collapsible box under the diagram, and drawn into the
// exported images (export-image.js), so a picture on a slide explains itself.

import { SYMBOLS, SIZES, MARK_ICONS, NODELESS } from './spacetime-symbols.js';
import { CRASHED, VIOLATION } from '../protocols/palette.js';
import { h } from '../dom.js';

const d3 = globalThis.d3;
const PAUSED = '#F0E442'; // the paused band of spacetime-draw.js
const EVENT_ORDER = ['start', 'state', 'persist', 'send', 'deliver', 'drop', 'duplicate', 'timer_set', 'timer',
  'timer_cancel', 'client', 'crash', 'recover', 'pause', 'resume', 'clock', 'note'];

/**
 * Return the legend's sections for a run: [{title, items: [{look, label}]}]. A look is one of
 * {glyph: svg path}, {band: colour}, {icon: text, colour}, {swatch: colour, round}, {line: colour, dash}.
 */
export function legendSections(timeline, encoding, t) {
  const kinds = new Set(timeline.events.map((e) => e.kind));
  const events = EVENT_ORDER.filter((k) => kinds.has(k) && !NODELESS.has(k))
    .map((k) => ({ look: { glyph: d3.symbol(SYMBOLS[k] || d3.symbolCircle, SIZES[k] || 60)() }, label: t(`legend.event.${k}`) }));
  const bands = [];
  const intervals = new Set(timeline.nodeOrder.flatMap((n) => timeline.intervalsOf(n).map((iv) => iv.kind)));
  if (intervals.has('down')) bands.push({ look: { band: CRASHED }, label: t('legend.band.down') });
  if (intervals.has('paused')) bands.push({ look: { band: PAUSED }, label: t('legend.band.paused') });
  if (kinds.has('violation')) bands.push({ look: { band: VIOLATION, icon: MARK_ICONS.violation }, label: t('legend.band.violation') });
  for (const k of ['partition', 'heal', 'caption']) {
    if (kinds.has(k)) bands.push({ look: { icon: MARK_ICONS[k] }, label: t(`legend.band.${k}`) });
  }
  const phases = new Set();
  for (const n of timeline.nodeOrder) for (const span of timeline.phasesOf(n)) phases.add(span.phase);
  const types = new Set([...timeline.messages.values()].map((m) => m.type));
  const dropped = [...timeline.messages.values()].some((m) => m.endKind === 'dropped');
  const roles = new Map();
  for (const e of timeline.events) if (e.kind === 'start' && e.role && !roles.has(e.role)) roles.set(e.role, encoding.role(e.role));
  const shapes = [...roles.values()].map((r) => ({ look: { swatch: '#ffffff', round: r.shape !== 'square' }, label: r.label }));
  return [
    { title: t('legend.events'), items: events },
    { title: t('legend.bands'), items: bands },
    { title: t('legend.phases'), items: [...phases].map((p) => ({ look: { swatch: encoding.phase(p).colour }, label: encoding.phase(p).label })) },
    { title: t('legend.messages'), items: [
      ...[...types].map((type) => ({ look: { line: encoding.message(type).colour, dash: encoding.message(type).dash }, label: encoding.message(type).label })),
      ...(dropped ? [{ look: { line: '#333333', dash: '3 3', icon: '✕' }, label: t('legend.dropped') }] : [])] },
    { title: t('legend.topology'), items: [
      ...shapes,
      { look: { swatch: CRASHED, dash: true, round: true }, label: t('legend.crashedNode') },
      { look: { icon: '◔' }, label: t('legend.timerArc') },
      { look: { icon: '✂' }, label: t('topology.cut') }] },
  ].filter((s) => s.items.length);
}

/** Draw one item's look into a d3 selection of an SVG <g> centred on (0, 0), about 20 px wide. */
export function drawLook(g, look) {
  if (look.glyph) g.append('path').attr('d', look.glyph).attr('fill', '#333333').attr('stroke', '#111111').attr('stroke-width', 1.2);
  if (look.band) g.append('rect').attr('x', -10).attr('y', -5).attr('width', 20).attr('height', 10).attr('fill', look.band).attr('opacity', 0.6);
  if (look.line) {
    g.append('line').attr('x1', -11).attr('x2', 11).attr('stroke', look.line).attr('stroke-width', 3)
      .attr('stroke-dasharray', look.dash || null);
  }
  if (look.swatch) {
    g.append('rect').attr('x', -9).attr('y', -9).attr('width', 18).attr('height', 18).attr('rx', look.round ? 9 : 3)
      .attr('fill', look.swatch).attr('stroke', '#111111').attr('stroke-width', 2).attr('stroke-dasharray', look.dash ? '4 3' : null);
  }
  if (look.icon) {
    g.append('text').attr('text-anchor', 'middle').attr('dy', '0.35em').attr('font-size', 15).attr('font-weight', 700)
      .attr('fill', look.band === VIOLATION ? VIOLATION : '#111111').text(look.icon);
  }
}

/** Create the page's legend: a <details> (closed at first) filled when the run's contents change. */
export function createLegend(el, ctx) {
  const { store, encoding, t } = ctx;
  const body = h('div', { class: 'legend-body' });
  const box = h('details', { class: 'legend' }, h('summary', {}, t('legend.title')), body);
  el.append(box);
  let drawnFor = '';
  function update() {
    if (!box.open) return; // drawn when opened
    const timeline = store.timeline;
    const key = `${timeline.lastSeq}|${timeline.messages.size}`;
    if (key === drawnFor) return;
    drawnFor = key;
    body.replaceChildren(...legendSections(timeline, encoding, t).map((section) => h('div', { class: 'legend-section' },
      h('h3', {}, section.title),
      h('ul', {}, section.items.map((item) => {
        const li = h('li', {});
        const svg = d3.select(li).append('svg').attr('width', 24).attr('height', 22).attr('aria-hidden', 'true');
        drawLook(svg.append('g').attr('transform', 'translate(12,11)'), item.look);
        li.append(item.label);
        return li;
      })))));
  }
  box.addEventListener('toggle', () => { drawnFor = ''; update(); });
  return { update };
}

/** Draw the legend into an exported SVG (a d3 selection) at (x, y), `width` wide; return its height. */
export function drawLegendSvg(svg, { x, y, width }, sections, t) {
  const g = svg.append('g').attr('class', 'legend').attr('transform', `translate(${x},${y})`);
  g.append('text').attr('class', 'title').attr('y', 18).text(t('legend.title'));
  let top = 34;
  const colW = 230;
  const perRow = Math.max(1, Math.floor(width / colW));
  for (const section of sections) {
    g.append('text').attr('class', 'legend-head').attr('y', top + 14).text(section.title);
    top += 24;
    section.items.forEach((item, i) => {
      const cx = (i % perRow) * colW;
      const cy = top + Math.floor(i / perRow) * 26;
      const row = g.append('g').attr('transform', `translate(${cx},${cy})`);
      drawLook(row.append('g').attr('transform', 'translate(12,11)'), item.look);
      row.append('text').attr('class', 'legend-label').attr('x', 30).attr('y', 11).attr('dy', '0.35em').text(item.label);
    });
    top += Math.ceil(section.items.length / perRow) * 26 + 8;
  }
  return top;
}
