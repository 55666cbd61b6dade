// The teacher's audience count in the toolbar: how many watch, how many follow. Opens the Class tab.

import { h, fill } from '../dom.js';

export function createAudienceBadge(el, ctx) {
  const { store, t } = ctx;
  const badge = h('button', { type: 'button', class: 'ctl audience-badge', dataset: { action: 'audience' },
    title: t('class.audience'), onclick: () => ctx.showTab('class') });
  el.append(badge);

  function render() {
    badge.hidden = !store.controller;
    const a = store.audience || { connected: 0, following: 0 };
    badge.dataset.connected = String(a.connected);
    badge.setAttribute('aria-label', t('class.counts', { connected: a.connected, following: a.following, detached: a.connected - a.following }));
    // The counts alone where the bar is short of room (lab.css), the words beside them elsewhere.
    fill(badge, h('span', { 'aria-hidden': 'true' }, '◉ '),
      h('span', { class: 'badge-long' }, t('class.badge', { connected: a.connected, following: a.following })),
      h('span', { class: 'badge-short' }, String(a.connected)));
  }

  store.on('class', render);
  store.on('role', render);
  render();
  return { render };
}
