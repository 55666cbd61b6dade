// Node context actions: clicking a node (in the topology or a lane header) opens a small menu to
// crash, recover, pause or resume it (controller only; the engine refuses what does not apply, but
// the menu offers only what does). Everyone else gets the node's details instead.

import { h, fill } from '../dom.js';

export function createNodeMenu(el, ctx) {
  const { store, t, actions } = ctx;
  el.hidden = true;
  el.setAttribute('role', 'menu');
  let openFor = null;

  function open(name, ev) {
    store.select({ kind: 'node', name });
    if (!store.controller) return;
    const node = store.timeline.seek(store.timeline.lastSeq).nodeMap[name];
    if (!node) return;
    openFor = name;
    const item = (cmd, enabled) => h('button', {
      type: 'button', role: 'menuitem', dataset: { action: cmd, node: name }, disabled: !enabled,
      onclick: () => { actions.command({ cmd, node: name }); close(); },
    }, t(`node.${cmd}`));
    fill(el, h('p', { class: 'menu-title' }, name),
      item('crash', node.up), item('recover', !node.up), item('pause', node.up && !node.paused), item('resume', node.paused));
    const host = el.offsetParent || document.body;
    const box = host.getBoundingClientRect();
    const x = (ev && ev.clientX) || box.left + 40;
    const y = (ev && ev.clientY) || box.top + 40;
    el.style.left = `${Math.max(0, Math.min(x - box.left, box.width - 200))}px`;
    el.style.top = `${Math.max(0, y - box.top + 8)}px`;
    el.hidden = false;
    const first = el.querySelector('button:not([disabled])');
    if (first) first.focus();
  }

  function close() { el.hidden = true; openFor = null; }

  document.addEventListener('click', (ev) => {
    if (openFor && !el.contains(ev.target) && !ev.target.closest('[data-node]')) close();
  });
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') close(); });
  return { open, close };
}
