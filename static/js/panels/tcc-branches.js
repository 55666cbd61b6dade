// TCC's panel, like Seata's console: the global transaction and its state, then one row per branch with
// its phase, its control-table row for that transaction, and its account (balance and frozen), at the
// playhead. Everything is read from the recorded states; whether a frozen amount hangs or a confirm was
// applied twice is the checker's to say (its violations), not the panel's.

import { h, fill } from '../dom.js';
import { PALETTE, CRASHED, inkFor } from '../protocols/palette.js';
import { STYLE, byNodes, definePanel } from './define.js';

const PHASE_COLOUR = {
  trying: PALETTE.sky, confirming: PALETTE.green, cancelling: PALETTE.vermillion, confirmed: PALETTE.green,
  cancelled: PALETTE.vermillion, busy: PALETTE.yellow, reserved: PALETTE.orange, failed: PALETTE.purple,
};
const CELL = 'border:1px solid #999;padding:3px 8px;text-align:left';

/** The words of a control-table row and of a branch as the coordinator knows it, each key written out. */
const WORDS = {
  tried: (tr) => tr('tcc.branches.tried', 'tried'),
  confirmed: (tr) => tr('tcc.branches.confirmed', 'confirmed'),
  cancelled: (tr) => tr('tcc.branches.cancelled', 'cancelled'),
  registered: (tr) => tr('tcc.branches.registered', 'registered'),
  failed: (tr) => tr('tcc.branches.failed', 'Try failed'),
};
const word = (tr, value) => (WORDS[value] ? WORDS[value](tr) : String(value));

function cell(text, colour) {
  const style = colour ? `${CELL};background:${colour};color:${inkFor(colour)}` : CELL;
  return h('td', { style }, text);
}

function phaseCell(tr, node) {
  const phase = (node.state || {}).phase;
  if (!node.up) return cell(`⚠ ${tr('tcc.branches.down', 'down')}`, CRASHED);
  return cell(tr(`phase.${phase}`, String(phase ?? '—')), PHASE_COLOUR[phase]);
}

function globalLine(tr, tc) {
  const s = (tc && tc.state) || {};
  if (!s.xid) return tr('tcc.branches.none', 'No global transaction yet');
  return tr('tcc.branches.global', 'Global transaction {xid} ({n} begun): {phase}', {
    xid: s.xid, n: s.txn, phase: tr(`phase.${s.phase}`, String(s.phase)) });
}

function branchRow(tr, node, xid, known) {
  const s = node.state || {};
  const control = s.control || {};
  const row = xid && control[xid] ? word(tr, control[xid]) : '—';
  return h('tr', { class: 'tcc-branch', dataset: { node: node.name, phase: s.phase || '' } },
    h('th', { style: CELL, scope: 'row' }, node.name),
    cell(known || '—'),
    phaseCell(tr, node),
    cell(row),
    cell(String(s.balance ?? '—')),
    cell(String(s.frozen ?? '—'), s.frozen > 0 ? PALETTE.orange : null));
}

/** The panel entry tcc's encoding table lists. */
export const tccBranchesPanel = definePanel({
  id: 'tcc-branches', labelKey: 'tcc.branches.tab', label: 'Transactions and branches', changed: byNodes,
  mount(el, { tr }) {
    const parts = { global: h('p', { style: STYLE.headline }), rows: h('tbody') };
    const head = [tr('tcc.branches.branch', 'Branch'), tr('tcc.branches.atCoordinator', 'At the coordinator'),
      tr('tcc.branches.phase', 'Phase'), tr('tcc.branches.control', 'Control table'),
      tr('tcc.branches.balance', 'Balance'), tr('tcc.branches.frozen', 'Frozen')].map((text) => h('th', { style: CELL }, text));
    el.append(parts.global,
      h('table', { class: 'tcc-branches', style: 'border-collapse:collapse;margin:0.4rem 0.6rem;font-size:1.1rem' },
        h('thead', {}, h('tr', {}, ...head)), parts.rows));
    return parts;
  },
  draw({ global, rows }, { snap, tr }) {
    const tc = snap.nodes.find((n) => n.role === 'coordinator');
    const s = (tc && tc.state) || {};
    fill(global, globalLine(tr, tc));
    const known = s.branches || {};
    fill(rows, snap.nodes.filter((n) => n.role === 'branch').map((n) => branchRow(tr, n, s.xid,
      known[n.name] && word(tr, known[n.name]))));
  },
});
