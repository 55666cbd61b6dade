// The partition tool: put each node in group A, B or C and cut the network between the groups,
// or heal it. Shows the partition the session has now (the newest event, not the playhead).

import { h, fill } from '../dom.js';

const GROUPS = ['A', 'B', 'C'];

export function createPartitionTool(el, ctx) {
  const { store, t, actions } = ctx;
  const chosen = new Map();
  const rows = h('div', { class: 'partition-rows' });
  const now = h('p', { class: 'partition-now' });
  const cut = h('button', { type: 'button', dataset: { action: 'partition' }, onclick: send }, `✂ ${t('partition.cut')}`);
  const heal = h('button', { type: 'button', dataset: { action: 'heal' }, onclick: () => actions.command({ cmd: 'heal' }) },
    `⟷ ${t('partition.heal')}`);
  el.append(h('p', { class: 'hint' }, t('partition.hint')), rows, h('div', { class: 'row-buttons' }, cut, heal), now);

  function groups() {
    const out = GROUPS.map((g) => store.timeline.nodeOrder.filter((n) => (chosen.get(n) || 'A') === g));
    return out.filter((g) => g.length);
  }

  function send() {
    const gs = groups();
    if (gs.length < 2) { ctx.toast(t('partition.needTwo')); return; }
    actions.command({ cmd: 'partition', groups: gs });
  }

  function render() {
    if (!store.controller) { fill(rows, h('p', {}, t('partition.controllerOnly'))); cut.hidden = true; heal.hidden = true; return; }
    cut.hidden = false;
    heal.hidden = false;
    fill(rows, store.timeline.nodeOrder.map((name) => h('div', { class: 'partition-row', dataset: { node: name } },
      h('span', { class: 'node-name' }, name),
      GROUPS.map((g) => h('button', {
        type: 'button', class: 'group-btn', dataset: { action: 'group', group: g, node: name },
        'aria-pressed': String((chosen.get(name) || 'A') === g), 'aria-label': `${name}: ${t('partition.group')} ${g}`,
        onclick: () => { chosen.set(name, g); render(); },
      }, g)))));
    const current = store.timeline.seek(store.timeline.lastSeq).partition;
    fill(now, current ? `${t('partition.now')}: ${current.map((g) => `{${g.join(', ')}}`).join(' | ')}` : t('partition.whole'));
  }

  for (const topic of ['events', 'role', 'reset']) store.on(topic, render);
  render();
  return { update() {} };
}
