// Hot keys' load panel: one bar per cache, as long as the client requests it has served (its own
// `served` counter, recorded in its state), with the count and its share of all of them; the busiest
// cache is outlined orange. Below, what each client's near-cache holds (its recorded `near` entries),
// the remedy's other half. A crashed cache is grey and says "down" (its counter restarts at zero).
// Plain DOM; the numbers are the protocol's, the panel only lays them out.

import { h, fill } from '../dom.js';
import { PALETTE, CRASHED } from '../protocols/palette.js';
import { STYLE, byNodes, definePanel } from './define.js';

/** Return what the panel shows at a snapshot: each cache's served count and share, each client's near-cache. */
export function loadView(snapshot) {
  const caches = snapshot.nodes.filter((n) => n.role === 'cache' && n.state)
    .map((n) => ({ name: n.name, up: n.up !== false, served: Number(n.state.served) || 0 }));
  const total = caches.reduce((sum, c) => sum + c.served, 0);
  const max = Math.max(1, ...caches.map((c) => c.served));
  const busiest = total ? caches.find((c) => c.served === max).name : null;
  const clients = snapshot.nodes.filter((n) => n.role === 'client' && n.state)
    .map((n) => ({ name: n.name, near: Object.entries(n.state.near || {}).map(([key, e]) => ({ key, v: e.v, ver: e.ver })) }));
  return { caches, total, max, busiest, clients };
}

function bar(tr, cache, view) {
  const width = Math.max(1, Math.round((cache.served / view.max) * 100));
  const share = view.total ? Math.round((100 * cache.served) / view.total) : 0;
  const hot = cache.name === view.busiest;
  const note = cache.up ? '' : ` ⚠ ${tr('hotkeys.load.down', 'down')}`;
  return h('div', { class: 'hotkeys-bar', dataset: { node: cache.name, busiest: hot ? '1' : '' },
    style: 'display:flex;align-items:center;gap:0.6rem;margin:0.25rem 0;font-size:1.25rem' },
  h('span', { style: 'min-width:4.5rem;font-weight:700' }, cache.name),
  h('span', { style: 'flex:1;position:relative;height:1.6rem' },
    h('span', { style: `display:block;height:100%;width:${width}%;background:${cache.up ? PALETTE.blue : CRASHED};`
      + `${hot ? `outline:4px solid ${PALETTE.orange};` : ''}` })),
  h('span', { style: 'min-width:7rem;font-weight:700' }, `${cache.served} (${share}%)${note}`));
}

function nearLine(tr, client) {
  const held = client.near.map((e) => `${e.key} = ${e.v === null ? '∅' : e.v} (v${e.ver})`).join(' · ');
  return h('li', {}, `${client.name}: ${held || tr('hotkeys.load.nearEmpty', 'empty')}`);
}

/** The panel entry the encoding table lists: the caches' load and the near-caches at the playhead. */
export const hotkeysLoadPanel = definePanel({
  id: 'hotkeys-load',
  labelKey: 'hotkeys.load.tab',
  label: 'Load per cache',
  changed: byNodes,
  mount(el, { tr }) {
    const parts = {
      heading: h('p', { class: 'hotkeys-total', role: 'status', style: STYLE.headline }),
      bars: h('div', { class: 'hotkeys-bars', style: 'margin:0.4rem 0.6rem' }),
      near: h('ul', { class: 'hotkeys-near', style: STYLE.list }),
    };
    const nearTitle = h('p', { style: 'font-weight:700;margin:0.6rem 0.6rem 0.2rem;font-size:1.15rem' },
      tr('hotkeys.load.near', 'What each client\'s near-cache holds'));
    el.append(parts.heading, parts.bars, nearTitle, parts.near);
    return parts;
  },
  draw({ heading, bars, near }, { snap, tr }) {
    const view = loadView(snap);
    heading.textContent = view.total
      ? tr('hotkeys.load.heading', 'Client requests served: {total} · busiest: {node}', { total: view.total, node: view.busiest })
      : tr('hotkeys.load.none', 'No request served yet.');
    fill(bars, view.caches.map((c) => bar(tr, c, view)));
    fill(near, view.clients.map((c) => nearLine(tr, c)));
  },
});
