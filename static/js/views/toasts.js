// Toasts: refused commands and frames from the server, and local failures, shown for a while.

import { h } from '../dom.js';

export const TOAST_MS = 6000;
export const MAX_TOASTS = 4;

export function createToasts(el, ctx) {
  const { store, t } = ctx;
  el.setAttribute('role', 'alert');

  function show(text, kind = 'error') {
    const toast = h('div', { class: `toast ${kind}` }, text);
    el.append(toast);
    while (el.children.length > MAX_TOASTS) el.firstChild.remove();
    setTimeout(() => toast.remove(), TOAST_MS);
  }

  store.on('error', (frame) => {
    const known = t(`error.${frame.code}`);
    show(`${known === `error.${frame.code}` ? frame.code : known}: ${frame.message || ''}`);
  });
  return { show };
}
