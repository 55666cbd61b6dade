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

  let dirty = true;
  let drawnRows = null; // the node list and choices the rows were built for

  function render() {
    dirty = false;
    if (!store.controller) { fill(rows, h('p', {}, t('partition.controllerOnly'))); cut.hidden = true; heal.hidden = true; drawnRows = null; return; }
    cut.hidden = false;
    heal.hidden = false;
    const current = currentPartition();
    const text = current ? `${t('partition.now')}: ${current.map((g) => `{${g.join(', ')}}`).join(' | ')}` : t('partition.whole');
    if (now.textContent !== text) now.textContent = text;
    const key = store.timeline.nodeOrder.map((n) => `${n}=${chosen.get(n) || 'A'}`).join(',');
    if (key === drawnRows) return; // the rows change with the nodes and the choices, not with every event
    drawnRows = key;
    fill(rows, store.timeline.nodeOrder.map((name) => h('div', { class: 'partition-row', dataset: { node: name } },
      h('span', { class: 'node-name' }, name),
      GROUPS.map((g) => h('button', {
        type: 'button', class: 'group-btn', dataset: { action: 'group', group: g, node: name },
        'aria-pressed': String((chosen.get(name) || 'A') === g), 'aria-label': `${name}: ${t('partition.group')} ${g}`,
        onclick: () => { chosen.set(name, g); render(); },
      }, g)))));
  }

  /** Return the groups of the partition in force after the newest event, or null (from the index: no seek). */
  function currentPartition() {
    const last = store.timeline.partitions[store.timeline.partitions.length - 1];
    return last && last.endSeq === null ? last.groups : null;
  }

  // Drawn in the next animation frame after a change (app.js).
  for (const topic of ['events', 'role', 'reset']) store.on(topic, () => { dirty = true; });
  render();
  return { update() { if (dirty) render(); } };
}
