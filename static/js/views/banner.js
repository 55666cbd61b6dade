// The watcher's banner: whose session this is, and that it is watched, not controlled. Also says
// when an imported trace is being replayed (read-only).

import { h, fill } from '../dom.js';

export function createBanner(el, ctx) {
  const { store, t } = ctx;

  function render() {
    el.hidden = store.role === 'controller' && store.mode === 'live';
    if (store.mode === 'import') {
      el.className = 'banner import';
      el.removeAttribute('data-owner');
      fill(el, h('strong', {}, t('banner.import', { name: store.importName || '' })));
      return;
    }
    el.className = 'banner watcher';
    el.dataset.owner = store.owner || '';
    fill(el, h('strong', {}, store.owner ? t('banner.watching', { owner: store.owner }) : t('banner.watchingAnon')));
  }

  store.on('role', render);
  render();
  return { render };
}
