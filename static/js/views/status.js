// The connection indicator, always visible: connecting, live, reconnecting, offline (or "replay"
// for an imported trace). Colour plus a word plus a shape, never colour alone.

import { h, fill } from '../dom.js';

const ICONS = { connecting: '◌', live: '●', reconnecting: '◐', offline: '○', replay: '▣' };

export function createStatus(el, ctx) {
  const { store, t } = ctx;
  const badge = h('span', { class: 'conn', role: 'status', 'aria-live': 'polite' });
  el.append(badge);

  function render() {
    const state = store.mode === 'import' ? 'replay' : store.conn;
    badge.dataset.state = state;
    fill(badge, h('span', { class: 'conn-icon', 'aria-hidden': 'true' }, ICONS[state] || '?'), ` ${t(`conn.${state}`)}`);
  }

  store.on('conn', render);
  store.on('role', render);
  render();
  return { render };
}
