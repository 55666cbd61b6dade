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
    // The server says when its Redis is away: play waits, then resumes by itself when it is back.
    badge.dataset.degraded = store.degraded ? 'yes' : 'no';
    fill(badge, h('span', { class: 'conn-icon', 'aria-hidden': 'true' }, ICONS[state] || '?'), ` ${t(`conn.${state}`)}`,
      store.degraded ? h('span', { class: 'conn-degraded' }, ` · ⚠ ${t('conn.degraded')}`) : null);
  }

  store.on('conn', render);
  store.on('role', render);
  render();
  return { render };
}
