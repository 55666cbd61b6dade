// The cache-state matrix: rows are the caches and the database, columns the keys; each cell shows
// the value and version a node holds at the playhead, coloured by freshness against the database.
// Every colour comes with a word or a sign (a legend, "*" and a bold outline for dirty data,
// "—" for nothing), and a cell's title says it in full. Shared by the four cache policies. An entry
// is "expired" where its cache recorded it so (cache-aside's `expired`): no TTL meets a clock here.

import { h, fill } from '../dom.js';
import { PALETTE, CRASHED, inkFor } from '../protocols/palette.js';
import { buildMatrix, cellText, countStatuses } from './cache-model.js';
import { STYLE, byNodes, definePanel } from './define.js';

/** How each status looks: background, label key and English label. */
export const STATUS_LOOK = {
  fresh: { colour: PALETTE.green, key: 'cache.status.fresh', label: 'fresh' },
  stale: { colour: PALETTE.vermillion, key: 'cache.status.stale', label: 'stale' },
  dirty: { colour: PALETTE.orange, key: 'cache.status.dirty', label: 'dirty *' },
  expired: { colour: PALETTE.grey, key: 'cache.status.expired', label: 'expired' },
  empty: { colour: '#FFFFFF', key: 'cache.status.empty', label: 'empty' },
  lost: { colour: CRASHED, key: 'cache.status.lost', label: 'lost (crashed)' },
  db: { colour: '#E8F1F8', key: 'cache.status.db', label: 'database' },
};

const CELL = 'padding:6px 10px;border:1px solid #555;font:600 1.2rem/1.3 system-ui,sans-serif;text-align:center;'
  + 'min-width:5.5em;white-space:nowrap';

function cellStyle(status) {
  const look = STATUS_LOOK[status];
  const outline = status === 'dirty' ? 'outline:4px solid #000;outline-offset:-4px;' : '';
  const dashed = status === 'empty' || status === 'lost' ? 'border-style:dashed;' : '';
  return `${CELL};background:${look.colour};color:${inkFor(look.colour)};${outline}${dashed}`;
}

/** The panel entry an encoding table lists: the caches and the database at the playhead, drawn. */
export const matrixPanel = definePanel({
  id: 'cache-matrix',
  labelKey: 'cache.matrix',
  label: 'Cache state',
  changed: byNodes,
  mount(el, { tr }) {
    const legend = h('p', { class: 'cache-legend', style: 'display:flex;flex-wrap:wrap;gap:.6em;font-size:1rem' },
      ['fresh', 'stale', 'dirty', 'expired', 'empty', 'lost'].map((s) => h('span', {
        style: `${cellStyle(s)};min-width:0;padding:2px 8px`,
      }, tr(STATUS_LOOK[s].key, STATUS_LOOK[s].label))));
    const counts = h('p', { class: 'cache-counts', style: STYLE.summary });
    const grid = h('div', { class: 'cache-matrix', style: 'overflow-x:auto' });
    el.append(h('div', { class: 'cache-matrix-panel' }, legend, counts, grid));
    return { counts, grid };
  },
  draw({ counts, grid }, { snap, tr }) {
    const matrix = buildMatrix(snap.nodes); // expiry as each cache recorded it: no clock is read here
    const c = countStatuses(matrix);
    fill(counts, tr('cache.matrix.counts', '{fresh} fresh · {stale} stale · {dirty} dirty', c));
    if (!matrix.keys.length) {
      fill(grid, h('p', { style: 'font-size:1.1rem' }, tr('cache.matrix.nothing', 'Nothing cached or written yet.')));
      return;
    }
    const head = h('tr', {}, h('th', { style: CELL }, tr('cache.matrix.node', 'node')),
      matrix.keys.map((k) => h('th', { style: CELL }, k)));
    const body = matrix.rows.map((row) => h('tr', { dataset: { node: row.name } },
      h('th', { style: `${CELL};text-align:left` }, row.up ? row.name : `✕ ${row.name}`),
      row.cells.map((cell) => {
        const look = STATUS_LOOK[cell.status];
        const status = tr(look.key, look.label);
        return h('td', { style: cellStyle(cell.status), title: `${row.name} ${cell.key}: ${cellText(cell)} (${status})`,
          dataset: { status: cell.status, key: cell.key } }, cellText(cell));
      })));
    const more = matrix.hidden ? h('p', {}, tr('cache.matrix.more', '+{n} more keys', { n: matrix.hidden })) : null;
    fill(grid, h('table', { style: 'border-collapse:collapse' }, h('thead', {}, head), h('tbody', {}, body)), more);
  },
});
