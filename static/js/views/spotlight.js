// The spotlight: what the teacher points the class at pulses on every screen for a few seconds.
// An item names a node, a message, an event or an invariant; every element drawn for it pulses
// (topology node and lane head, arrow, event mark, invariant chip and row). The pulse is a class
// (`.spotlit`) with an outline and an animation, so it reads without colour and on a projector.

import { SPOTLIGHT_MS } from '../follow.js';

/** Return the CSS selectors of the elements drawn for an item. */
export function spotlightSelectors(item) {
  if (!item) return [];
  const q = (v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`;
  switch (item.kind) {
    case 'node': return [`.topology g.node[data-node=${q(item.name)}]`, `.spacetime-head g.lane-head[data-node=${q(item.name)}]`,
      `.node-card[data-node=${q(item.name)}]`];
    case 'message': return [`g.arrow[data-msg=${q(item.id)}]`, `g.falling-msg[data-msg=${q(item.id)}]`,
      `.topology [data-msg=${q(item.id)}]`];
    case 'event': return [`.spacetime g.ev[data-seq=${q(item.seq)}]`, `.spacetime [data-seq=${q(item.seq)}]`];
    case 'invariant': return [`[data-invariant=${q(item.name)}]`];
    default: return [];
  }
}

/** Return pulse(item): mark the item's elements in `root` as spotlit for SPOTLIGHT_MS. */
export function createSpotlight(root, { clock = globalThis } = {}) {
  let timer = null;
  let lit = [];
  function clear() {
    for (const el of lit) el.classList.remove('spotlit');
    lit = [];
  }
  return function pulse(item) {
    clear();
    clock.clearTimeout(timer);
    // Drawn elements may be replaced by the next frame: look again once it has been drawn.
    const mark = () => {
      for (const sel of spotlightSelectors(item)) {
        for (const el of root.querySelectorAll(sel)) { el.classList.add('spotlit'); lit.push(el); }
      }
    };
    mark();
    clock.setTimeout(mark, 200);
    timer = clock.setTimeout(clear, SPOTLIGHT_MS);
  };
}
