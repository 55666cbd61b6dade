// "Show this run": the teacher puts a student's sandbox on the projector, over the class session,
// and returns with one click. The sandbox is drawn by its own page (a watcher of it, embedded).

import { h, fill } from '../dom.js';

export function createShowing(el, ctx) {
  const { store, t } = ctx;
  el.hidden = true;
  let shown = null;

  function render() {
    const id = store.controller ? store.showing : null;
    if (id === shown) return;
    shown = id;
    el.hidden = !id;
    if (!id) { fill(el); return; }
    const info = ((store.audience && store.audience.sandboxes) || []).find((s) => s.id === id) || { owner: '', fork_seq: 0 };
    fill(el,
      h('div', { class: 'showing-bar' },
        h('strong', {}, t('class.showing', { owner: info.owner || '—', seq: info.fork_seq ?? 0 })),
        h('button', { type: 'button', class: 'ctl', dataset: { action: 'back-to-class' }, onclick: () => ctx.showSandbox(null) }, `↩ ${t('class.backToClass')}`)),
      h('iframe', { class: 'showing-frame', src: `/sessions/${encodeURIComponent(id)}/?embed=1`, title: t('class.showing', { owner: info.owner || '—', seq: info.fork_seq ?? 0 }) }));
  }

  store.on('class', render);
  return { render };
}
