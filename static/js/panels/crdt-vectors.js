// The CRDT vectors panel (g-counter, pn-counter): one small table per replica, its entries by
// replica (rows P, and N for a PN-counter), its own entry framed, and the verdict above them:
// converged (every running replica holds the same vectors) or not, and on what values.
//
// Cells that just changed light up for a moment at the playhead: sky blue where a merge taught
// the replica something (gossip), yellow where it counted a client's operation in its own entry,
// grey where a recovery rebuilt it; the legend says so in words. A crashed replica is greyed
// and labelled; one that restarted without its log carries the words "restarted empty".
// Plain DOM; the numbers come from crdt-model.js (pure, tested).

import { h, fill } from '../dom.js';
import { PALETTE, VIOLATION } from '../protocols/palette.js';
import { clientTotals, convergence, recentChanges, vectorTables } from './crdt-model.js';
import { STYLE, definePanel } from './define.js';

const LIGHT = { merge: PALETTE.sky, own: PALETTE.yellow, recover: '#D0D0D0' };
const CELL = 'padding:0.25rem 0.55rem;text-align:center;border:1px solid #777;min-width:2.6rem';
const LIGHT_MS = 40;
/** How long (virtual ms) a changed cell stays lit after the change. */

function legend(tr) {
  const item = (colour, text) => h('li', {}, h('span', { style: `display:inline-block;width:1.1rem;height:1.1rem;`
    + `margin-right:0.4rem;vertical-align:middle;border:1px solid #555;background:${colour}` }), text);
  return h('ul', { class: 'crdt-legend', style: 'list-style:none;display:flex;flex-wrap:wrap;gap:0.3rem 1.4rem;'
    + 'margin:0.2rem 0.6rem;padding:0;font-size:1.05rem' },
  item(LIGHT.merge, tr('crdt.vectors.merge', 'learnt by gossip (merge)')),
  item(LIGHT.own, tr('crdt.vectors.own', "a client's operation, in the replica's own entry")),
  item(LIGHT.recover, tr('crdt.vectors.recover', 'rebuilt by a recovery')),
  h('li', {}, h('span', { style: 'display:inline-block;width:1.1rem;height:1.1rem;margin-right:0.4rem;'
    + 'vertical-align:middle;border:3px solid #000' }), tr('crdt.vectors.ownEntry', 'its own entry')));
}

function verdictText(tr, verdict) {
  if (!verdict.groups.length) return ['', '#000'];
  if (verdict.converged) {
    return [`✓ ${tr('crdt.vectors.converged', 'Converged: every running replica holds the same vectors, value {value}',
      { value: verdict.value })}`, PALETTE.green];
  }
  const parts = verdict.groups.map((g) => `${g.names.join(', ')}: ${g.value}`).join(' · ');
  return [`✗ ${tr('crdt.vectors.apart', 'Not converged: {parts}', { parts })}`, VIOLATION];
}

function replicaCard(tr, table, marks) {
  const header = h('tr', {}, h('th', { style: CELL }, ''), table.columns.map((c) => h('th', {
    style: `${CELL}${c === table.name ? ';border:3px solid #000' : ''}` }, c)));
  const rows = table.rows.map((row) => h('tr', {}, h('th', { style: CELL }, row.kind.toUpperCase()),
    row.cells.map((value, i) => {
      const column = table.columns[i];
      const how = marks[`${row.kind}:${column}`];
      const own = column === table.name ? ';border:3px solid #000;font-weight:700' : '';
      const lit = how ? `;background:${LIGHT[how]}` : '';
      return h('td', { style: `${CELL}${own}${lit}`, title: how ? tr(`crdt.vectors.${how}`, how) : null,
        dataset: { cell: `${row.kind}:${column}`, lit: how || '' } }, String(value));
    })));
  const badges = [];
  if (!table.up) badges.push(tr('crdt.vectors.crashed', 'crashed'));
  if (table.amnesia) badges.push(tr('crdt.vectors.amnesia', 'restarted empty'));
  return h('div', { class: 'crdt-replica', dataset: { node: table.name },
    style: `border:2px solid #444;border-radius:8px;padding:0.4rem 0.6rem;${table.up ? '' : 'opacity:0.55'}` },
  h('div', { style: 'font-size:1.25rem;font-weight:700;margin-bottom:0.25rem' },
    `${table.name} = ${table.value}`,
    badges.map((b) => h('span', { style: `margin-left:0.6rem;font-size:1rem;color:${VIOLATION}` }, `⚠ ${b}`))),
  h('table', { style: 'border-collapse:collapse;font-size:1.15rem' }, header, rows));
}

/** The panel entry an encoding table lists: the replicas' vectors at the playhead, drawn. */
export const crdtVectorsPanel = definePanel({
  id: 'crdt-vectors',
  labelKey: 'crdt.vectors.tab',
  label: 'Vectors',
  mount(el, { tr }) {
    const parts = {
      verdict: h('p', { class: 'crdt-verdict', role: 'status', style: STYLE.headline }),
      totals: h('p', { class: 'crdt-totals', style: STYLE.line }),
      grid: h('div', { class: 'crdt-grid', style: 'display:flex;flex-wrap:wrap;gap:0.8rem;margin:0.4rem 0.6rem' }),
    };
    el.append(parts.verdict, parts.totals, legend(tr), parts.grid);
    return parts;
  },
  draw({ verdict, totals, grid }, { snap, tr, timeline }) {
    const [text, colour] = verdictText(tr, convergence(snap));
    verdict.textContent = text;
    verdict.style.color = colour;
    const acked = clientTotals(snap);
    totals.textContent = acked.dec
      ? tr('crdt.vectors.ackedPn', 'Acknowledged: {inc} increments, {dec} decrements (net {net})',
        { inc: acked.inc, dec: acked.dec, net: acked.inc - acked.dec })
      : tr('crdt.vectors.acked', 'Acknowledged increments: {inc}', { inc: acked.inc });
    // Backwards from the playhead, only as far as LIGHT_MS reaches: a frame costs what it shows.
    const marks = recentChanges(timeline.events, snap.seq, LIGHT_MS);
    fill(grid, vectorTables(snap).map((table) => replicaCard(tr, table, marks[table.name] || {})));
  },
});
