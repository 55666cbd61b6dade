// Node panels: one card per node with its volatile state, durable log and timers at the playhead,
// the card's edge coloured by phase. Crashed nodes show the state they had when they crashed.

import { h, fill, brief, compact, clip } from '../dom.js';
import { inkFor, CRASHED } from '../protocols/palette.js';

const MAX_FIELD_CHARS = 160;
/** Characters of a state field shown on its card; the rest is in the field's tooltip (up to MAX_TOOLTIP_CHARS). */
const MAX_TOOLTIP_CHARS = 2000;

export function createNodePanels(el, ctx) {
  const { store, encoding, t } = ctx;
  const list = h('div', { class: 'node-cards' });
  el.append(list);
  let cards = new Map(); // name -> {node, el}: node views are immutable, so an unchanged one keeps its card

  function update(frame) {
    const nodes = frame.snapshot.nodes;
    const sameNames = nodes.length === cards.size && nodes.every((n) => cards.has(n.name));
    if (!sameNames) { // nodes came or went (a boot, a reset, a seek to the start): build the list again
      cards = new Map(nodes.map((node) => [node.name, { node, el: card(node) }]));
      fill(list, [...cards.values()].map((c) => c.el));
      highlight(store.hover);
      return;
    }
    // Node views are immutable: a card whose node object is unchanged stays as it is; a changed one is
    // replaced in place, so one event rebuilds one card, not all of them.
    for (const node of nodes) {
      const old = cards.get(node.name);
      if (old.node === node) continue;
      const el = card(node);
      old.el.replaceWith(el);
      cards.set(node.name, { node, el });
      highlightCard(el, store.hover);
    }
  }

  function card(node) {
    const phase = encoding.phase(node.phase);
    const colour = node.up ? phase.colour : CRASHED;
    const state = node.state ? Object.entries(node.state).filter(([k]) => k !== 'phase') : [];
    return h('article', {
      class: `node-card${node.up ? '' : ' down'}${node.paused ? ' paused' : ''}`,
      dataset: { node: node.name }, style: `border-color:${colour}`,
      onmouseenter: () => store.setHover({ kind: 'node', name: node.name }),
      onmouseleave: () => store.setHover(null),
    },
    h('header', {},
      h('strong', { class: 'node-name' }, node.name),
      h('span', { class: 'role' }, encoding.role(node.role).label),
      h('span', { class: 'phase-pill', style: `background:${colour};color:${inkFor(colour)}` },
        node.up ? phase.label : `✕ ${t('node.crashed')}`),
      node.paused ? h('span', { class: 'pill paused-pill' }, `❚❚ ${t('node.paused')}`) : null),
    h('p', { class: 'state-line' }, state.map(([k, v]) => stateField(k, v))),
    h('div', { class: 'durable' },
      h('span', { class: 'sub' }, t('node.durable')),
      node.durable.length
        ? node.durable.map((r, i) => h('span', { class: 'pill record' }, `${i + 1}. ${recordLabel(r)}`))
        : h('span', { class: 'empty' }, t('node.durableEmpty'))),
    node.timers.length
      ? h('div', { class: 'timers' }, h('span', { class: 'sub' }, t('node.timers')),
        node.timers.map((tm) => h('span', { class: 'pill timer-pill' }, `◷ ${tm.timer} @ ${tm.due} ms`)))
      : null);
  }

  function highlight(item) {
    for (const c of list.children) highlightCard(c, item);
  }

  function highlightCard(c, item) {
    const name = item && item.kind === 'node' ? item.name : null;
    const ev = item && item.kind === 'event' ? store.timeline.event(item.seq) : null;
    c.classList.toggle('hl', c.dataset.node === name || Boolean(ev && ev.node === c.dataset.node));
  }

  store.on('hover', highlight);
  store.on('reset', () => { cards = new Map(); });
  return { update, highlight };
}

/** Return one state field for a card: its name and its value, cut short when long (all of it on hover). */
export function stateField(name, value) {
  const full = compact(value);
  const shown = clip(full, MAX_FIELD_CHARS);
  const attrs = { class: 'kv-item' };
  if (shown.cut) attrs.title = clip(full, MAX_TOOLTIP_CHARS).text;
  return h('span', attrs, h('b', {}, name), ' ', shown.text);
}

/** Return a durable record in a few words: {type: 'decision', decision: 'commit'} -> "decision: commit". */
export function recordLabel(record) {
  if (!record || typeof record !== 'object') return brief(record);
  const { type, ...rest } = record;
  const values = Object.values(rest).map(brief);
  if (type === undefined) return brief(record);
  return values.length ? `${type}: ${values.join(', ')}` : String(type);
}
