// Paxos Commit's panel: every resource manager's instance at every acceptor, and what each leader learned.
//
// One row per instance (named after its resource manager, with that manager's phase); one column per
// acceptor: the value it accepted last for that instance and the ballot it accepted it in (nothing yet:
// a dash; a crashed acceptor: grey, "down"), under the ballot it promised. The last columns are the
// leaders': the value each has learned as chosen, as the leader records it (the quorum is the
// protocol's to count, never the panel's). Values keep their word beside their colour. Above the grid,
// why a resource manager waits when too few acceptors are up: the checker's blocked-without-quorum
// finding in the page's words (how many are up, how many a quorum needs), shown while the resource
// manager it names is still prepared.

import { h, fill } from '../dom.js';
import { CRASHED, PALETTE, VIOLATION, inkFor } from '../protocols/palette.js';
import { findingVocabulary, showDatum, violationText } from '../findings.js';
import { STYLE, byNodes, definePanel } from './define.js';

const SHADE = { prepared: PALETTE.orange, aborted: PALETTE.vermillion };
const CELL = 'border:1px solid #444;padding:4px 8px;font-size:1.05rem;text-align:center';
const HEAD = `${CELL};white-space:nowrap`;

function valueCell(tr, value, ballot, extra = {}) {
  if (!value) return h('td', { style: CELL, ...extra }, '—');
  const shade = SHADE[value] || '#FFFFFF';
  const word = tr(`phase.${value}`, value);
  const text = ballot === null ? word : tr('paxos.grid.accepted', '{value} · ballot {ballot}', { value: word, ballot });
  return h('td', { style: `${CELL};background:${shade};color:${inkFor(shade)}`, ...extra }, text);
}

function acceptorCell(tr, acceptor, instance) {
  if (!acceptor.up) {
    return h('td', { style: `${CELL};background:${CRASHED};color:${inkFor(CRASHED)}`, dataset: { down: 'yes' } },
      tr('node.crashed', 'crashed'));
  }
  const got = ((acceptor.state || {}).accepted || {})[instance];
  return got ? valueCell(tr, got[1], got[0]) : valueCell(tr, null, null);
}

function header(tr, acceptors, leaders) {
  const heads = [h('th', { style: HEAD }, tr('paxos.grid.instance', 'instance'))];
  for (const a of acceptors) {
    const promised = (a.state || {}).promised;
    const sub = promised === undefined || promised < 0 ? '' : tr('paxos.grid.promised', 'promised {ballot}', { ballot: promised });
    heads.push(h('th', { style: HEAD, scope: 'col' }, h('div', {}, a.name), h('div', { style: 'font-weight:400' }, sub)));
  }
  for (const l of leaders) heads.push(h('th', { style: HEAD, scope: 'col' }, tr('paxos.grid.learned', '{leader} learned', { leader: l.name })));
  return h('tr', {}, ...heads);
}

/**
 * Say why the prepared wait: the first finding in full, then the other resource managers whose findings
 * carry the same counts (up, acceptors, needed) by name only, so three waiting say it once.
 */
function blockedLines(tr, ctx, blocked) {
  const groups = new Map();
  for (const v of blocked) {
    const { up, acceptors, needed } = v.finding.data || {};
    const key = `${up}/${acceptors}/${needed}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(v);
  }
  return [...groups.values()].flatMap(([first, ...others]) => [
    h('li', { dataset: { node: first.finding.data.node } },
      `⚠ ${tr('paxos.grid.blocked', 'Blocked: {finding}', { finding: violationText(first, ctx.catalogue) })}`),
    others.length ? h('li', { dataset: { nodes: others.map((v) => v.finding.data.node).join(' ') } },
      tr('paxos.grid.blockedToo', 'Waiting for the same reason: {nodes}', {
        nodes: showDatum(others.map((v) => v.finding.data.node), findingVocabulary(ctx.catalogue)?.separator), // p3、p2 in Chinese
      })) : null,
  ]).filter(Boolean);
}

/** The panel entry paxos-commit's encoding table lists. */
export const paxosAcceptorsPanel = definePanel({
  id: 'paxos-acceptors', labelKey: 'paxos.grid.tab', label: 'Acceptors', changed: byNodes,
  mount(el, { tr }) {
    const table = h('table', { class: 'paxos-grid', style: 'border-collapse:collapse;margin:0.4rem 0.6rem' });
    const why = h('ul', { class: 'paxos-blocked', role: 'status', style: `${STYLE.list};color:${VIOLATION};font-weight:700` });
    el.append(h('p', { style: STYLE.headline }, tr('paxos.grid.title', 'Each vote, at each acceptor')), why,
      h('div', { style: 'overflow-x:auto' }, table));
    return { table, why };
  },
  draw({ table, why }, { snap, ctx, tr }) {
    const of = (role) => snap.nodes.filter((n) => n.role === role);
    const waiting = (v) => {
      const rm = snap.nodes.find((n) => n.name === (v.finding.data || {}).node);
      return rm && rm.up && (rm.state || {}).phase === 'prepared';
    };
    const blocked = (snap.violations || []).filter((v) => v.invariant === 'blocked-without-quorum' && v.finding && waiting(v));
    fill(why, blockedLines(tr, ctx, blocked));
    const acceptors = of('acceptor');
    const leaders = of('leader');
    const rows = of('participant').map((rm) => {
      const phase = tr(`phase.${(rm.state || {}).phase}`, String((rm.state || {}).phase ?? '—'));
      const cells = [h('th', { style: CELL, scope: 'row' }, `${rm.name} · ${rm.up ? phase : tr('node.crashed', 'crashed')}`)];
      for (const a of acceptors) cells.push(acceptorCell(tr, a, rm.name));
      for (const l of leaders) cells.push(valueCell(tr, ((l.state || {}).chosen || {})[rm.name], null, { dataset: { leader: l.name } }));
      return h('tr', { dataset: { instance: rm.name } }, ...cells);
    });
    fill(table, [header(tr, acceptors, leaders), ...rows]);
  },
});
