// The coordination service's tree, at the playhead: /lock's children, their sessions and their watches.
//
// A row per child of /lock, in the service's order (its sequence): the node's name, its owner and the
// session it belongs to, its czxid (the fencing token its owner's writes carry), who watches it, and what
// its owner is doing by its own account (its recorded phase: a client paused past its session's expiry
// still says "holding" while its node is gone). A parent watch (the herd's) is listed on /lock itself.
// Below: every session the service keeps, with the ticks it may still go unheard, and the last node to
// go and how (released, closed, expired), as the service recorded it. The panel counts nothing: who
// holds the lock is the clients' to say and the checker's to judge.

import { h, fill } from '../dom.js';
import { CRASHED, PALETTE, inkFor } from '../protocols/palette.js';
import { STYLE, byNodes, definePanel } from './define.js';

const PARENT = '/lock';
const CELL = 'border:1px solid #444;padding:4px 8px;font-size:1.05rem';
const ACTING = { holding: PALETTE.yellow, writing: PALETTE.orange };

function watchers(tr, watches, path) {
  const who = watches.filter((w) => w.path === path).map((w) => w.client);
  return who.length ? tr('zk.tree.watchedBy', 'watched by {clients}', { clients: who.join(', ') }) : '—';
}

function childRow(tr, child, owner, watches) {
  const phase = owner ? ((owner.state || {}).phase ?? '—') : '—';
  const says = owner && owner.up ? tr(`phase.${phase}`, String(phase)) : tr('node.crashed', 'crashed');
  const shade = (owner && owner.up && ACTING[phase]) || '#FFFFFF';
  return h('tr', { dataset: { child: child.name, client: child.client } },
    h('th', { style: CELL, scope: 'row' }, `${PARENT}/${child.name}`),
    h('td', { style: CELL }, tr('zk.tree.owner', '{client} · session {session}', child)),
    h('td', { style: `${CELL};text-align:center` }, String(child.czxid)),
    h('td', { style: CELL }, watchers(tr, watches, `${PARENT}/${child.name}`)),
    h('td', { style: `${CELL};background:${shade};color:${inkFor(shade)}` }, says));
}

function sessionsLine(tr, zk) {
  const parts = (zk.sessions || []).map((s) => tr('zk.tree.session', '{client} #{id}: {left} ticks left', s));
  return h('p', { style: STYLE.line }, `${tr('zk.tree.sessions', 'Sessions')}: ${parts.join(' · ') || '—'}`);
}

/** The panel entry zk-lock's encoding table lists. */
export const zkTreePanel = definePanel({
  id: 'zk-tree', labelKey: 'zk.tree.tab', label: 'Lock nodes', changed: byNodes,
  mount(el, { tr }) {
    const status = h('p', { style: STYLE.line });
    const table = h('table', { class: 'zk-tree', style: 'border-collapse:collapse;margin:0.4rem 0.6rem' });
    const notes = h('div');
    el.append(h('p', { style: STYLE.headline }, tr('zk.tree.title', 'The lock queue: /lock and its ephemeral nodes')),
      status, table, notes);
    return { status, table, notes };
  },
  draw({ status, table, notes }, { snap, tr }) {
    const service = snap.nodes.find((n) => n.role === 'zk');
    const zk = (service && service.state) || {};
    const byName = Object.fromEntries(snap.nodes.map((n) => [n.name, n]));
    const down = service && !service.up;
    status.style.cssText = `${STYLE.line}${down ? `;background:${CRASHED};color:${inkFor(CRASHED)}` : ''}`;
    fill(status, down ? `⚠ ${tr('zk.tree.down', 'the service is down: its tree comes back from its log')}`
      : `${PARENT}: ${watchers(tr, zk.watches || [], PARENT)}`);
    const head = ['zk.tree.node', 'zk.tree.ownerHead', 'zk.tree.czxid', 'zk.tree.watches', 'zk.tree.says'];
    const words = ['node', 'owner', 'czxid (token)', 'watches', 'its owner says'];
    const rows = (zk.nodes || []).map((child) => childRow(tr, child, byName[child.client], zk.watches || []));
    fill(table, h('tr', {}, ...head.map((key, i) => h('th', { style: CELL, scope: 'col' }, tr(key, words[i])))),
      rows.length ? rows : h('tr', {}, h('td', { style: CELL, colspan: '5' }, tr('zk.tree.empty', 'no node under /lock'))));
    const ended = zk.ended ? tr('zk.tree.ended', 'last gone: {name} of {client} ({how})',
      { ...zk.ended, how: tr(`zk.tree.how.${zk.ended.how}`, zk.ended.how) }) : '';
    fill(notes, sessionsLine(tr, zk), ended ? h('p', { style: STYLE.line }, ended) : null);
  },
});
