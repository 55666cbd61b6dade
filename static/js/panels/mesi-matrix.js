// The coherence matrix: one row per cache, one column per line, each cell the line's state there
// as a letter on its colour (M vermillion, E orange, S sky blue, I white, a transient state yellow
// with an arrow and what it waits for) and the value it holds; the last row is the directory's
// view (owner or sharers, a transaction in progress, requests queued, the memory value). A
// column where a writer and a reader coexist is framed in red with a warning sign and words.
//
// Plain DOM; the table is rebuilt only when a cache's or the directory's node view changed.

import { h, fill } from '../dom.js';
import { VIOLATION, inkFor } from '../protocols/palette.js';
import { coherenceMatrix, LINE_STATES, TRANSIENT_COLOUR, WAITS } from './mesi-model.js';
import { definePanel } from './define.js';
import { withEnglish } from '../i18n.js';

const CELL = 'padding:0.35rem 0.6rem;text-align:center;border:1px solid #888;min-width:4.5rem';

function tr(t, key, fallback, vars = {}) {
  return withEnglish(t)(key, fallback, vars);
}

function valueText(value) {
  if (value === undefined) return '';
  return value === null ? '—' : String(value);
}

/** Build the matrix inside `el`; return the parts `draw` fills. */
function mountMatrix(el, ctx) {
  const t = ctx.t || ((key) => key);
  const table = h('table', { class: 'mesi-matrix', style: 'border-collapse:collapse;font-size:1.3rem;margin:0.5rem 0' });
  const warning = h('p', { class: 'mesi-warning', role: 'status', style: `color:${VIOLATION};font-weight:700;font-size:1.3rem` });
  const more = h('p', { class: 'mesi-more' });
  el.append(legend(t), warning, table, more);
  return { t, table, warning, more };
}

/** Fill the matrix from the caches and the directory of the snapshot. */
function drawMatrix({ t, table, warning, more }, snapshot) {
  const m = coherenceMatrix(snapshot);
  warning.textContent = m.conflicts.size
    ? `⚠ ${tr(t, 'panel.mesi.conflict', 'A writer and a reader at once: {keys}', { keys: [...m.conflicts].join(', ') })}`
    : '';
  more.textContent = m.hidden > 0 ? tr(t, 'panel.mesi.more', '{n} more lines not shown', { n: m.hidden }) : '';
  if (!m.keys.length) {
    fill(table, h('tr', {}, h('td', { style: CELL }, tr(t, 'panel.mesi.empty', 'No line has been touched yet.'))));
    return;
  }
  const header = h('tr', {}, h('th', { style: CELL }, tr(t, 'panel.mesi.cache', 'cache')), m.keys.map((key) => {
    const bad = m.conflicts.has(key);
    return h('th', { style: `${CELL}${bad ? `;border:4px solid ${VIOLATION};color:${VIOLATION}` : ''}` },
      bad ? `⚠ ${key}` : key);
  }));
  const rows = m.rows.map((row) => h('tr', { dataset: { node: row.name } },
    h('th', { style: `${CELL};text-align:left` }, row.up ? row.name : `✕ ${row.name}`),
    row.cells.map((c) => h('td', {
      title: `${row.name} ${c.key}: ${c.label}${c.waits ? ` (waits for ${WAITS[c.waits]})` : ''}`,
      style: `${CELL};background:${c.colour};color:${c.ink}${m.conflicts.has(c.key) ? `;border:4px solid ${VIOLATION}` : ''}${row.up ? '' : ';opacity:0.4'}`,
    },
    h('div', { style: 'font-size:1.6rem;font-weight:800;line-height:1.1' }, c.letter),
    c.waits ? h('div', { style: 'font-size:0.85rem' },
      `${tr(t, 'panel.mesi.waits', 'waits for')} ${tr(t, 'panel.mesi.wait.' + c.waits, WAITS[c.waits])}`) : null,
    c.value !== undefined ? h('div', { style: 'font-size:0.9rem' }, valueText(c.value)) : null))));
  const dirRow = h('tr', { dataset: { node: 'dir' } },
    h('th', { style: `${CELL};text-align:left` }, tr(t, 'panel.mesi.directory', 'directory')),
    m.dir.map((d) => h('td', { style: `${CELL};background:#F2F2F2;color:#000;font-size:1rem;text-align:left` },
      h('div', { style: 'font-weight:700' }, d.text),
      d.busy ? h('div', {}, `${tr(t, 'panel.mesi.busy', 'busy')}: ${d.busy}`) : null,
      d.queued ? h('div', {}, tr(t, 'panel.mesi.queued', '{n} queued', { n: d.queued })) : null,
      h('div', {}, `${tr(t, 'panel.mesi.memory', 'memory')}: ${valueText(d.memory === undefined ? null : d.memory)}`))));
  fill(table, header, rows, dirRow);
}

/** Redraw when the node view of a cache or of the directory changed (the redraw key is that list). */
function cachesAndDirectory(frame) {
  return frame.snapshot.nodes.filter((n) => n.role === 'cache' || n.role === 'directory');
}

function legend(t) {
  const items = Object.entries(LINE_STATES).map(([st, s]) => h('span', {
    style: `display:inline-block;margin-right:0.8rem;padding:0.2rem 0.6rem;border:1px solid #888;background:${s.colour};color:${inkFor(s.colour)};font-size:1.1rem`,
  }, `${st} ${tr(t, 'panel.mesi.state.' + st, s.label)}`));
  items.push(h('span', {
    style: `display:inline-block;padding:0.2rem 0.6rem;border:1px solid #888;background:${TRANSIENT_COLOUR};color:${inkFor(TRANSIENT_COLOUR)};font-size:1.1rem`,
  }, `I→S ${tr(t, 'panel.mesi.state.transient', 'transient: waiting for an answer')}`));
  return h('p', { class: 'mesi-legend' }, items);
}

/** The panel entry an encoding table lists. */
export const matrixPanel = definePanel({
  id: 'mesi-matrix', labelKey: 'panel.mesi.label', label: 'Coherence matrix',
  changed: cachesAndDirectory,
  mount: (el, { ctx }) => mountMatrix(el, ctx),
  draw: (parts, { snap }) => drawMatrix(parts, snap),
});
