// The export menu: the JSON trace, ShiViz and Mermaid from the server, and SVG or PNG images of
// the space-time diagram drawn here. An imported trace offers its JSON back and the images.

import { h, fill } from '../dom.js';
import { icon } from '../icons.js';
import { exportSvg, exportPng } from '../export-image.js';

export function createExportMenu(el, ctx) {
  const { store, t } = ctx;
  const menu = h('details', { class: 'menu export-menu' });
  const list = h('div', { class: 'menu-items', role: 'menu' });
  menu.append(h('summary', { dataset: { action: 'export' }, 'aria-label': t('export.title') }, icon('export'), t('export.title')), list);
  el.append(menu);

  function link(action, href, label, filename) {
    return h('a', { role: 'menuitem', dataset: { action }, href, download: filename || true, onclick: () => { menu.open = false; } }, label);
  }

  function item(action, label, fn) {
    return h('button', { type: 'button', role: 'menuitem', dataset: { action }, onclick: () => { menu.open = false; fn(); } }, label);
  }

  function render() {
    const id = store.sessionId;
    const base = `${store.protocol || 'trace'}-${id || 'import'}`;
    const server = store.mode === 'live' && id;
    fill(list,
      server ? link('export-json', `/api/sessions/${encodeURIComponent(id)}/trace`, t('export.json'), `${base}.json`)
        : item('export-json', t('export.json'), () => downloadJson(store.traceText || store.trace, `${base}.json`)),
      server ? link('export-shiviz', `/api/sessions/${encodeURIComponent(id)}/export/shiviz`, t('export.shiviz'), `${base}.shiviz.txt`) : null,
      server ? link('export-mermaid', `/api/sessions/${encodeURIComponent(id)}/export/mermaid`, t('export.mermaid'), `${base}.mmd`) : null,
      item('export-svg', t('export.svg'), () => exportSvg(ctx, `${base}.svg`)),
      item('export-png', t('export.png'), () => exportPng(ctx, `${base}.png`).catch((err) => ctx.toast(String(err)))));
  }

  store.on('role', render);
  render();
  return { update() {} };
}

/** Download a trace: its original text when there is one (exact), else the parsed trace encoded again. */
function downloadJson(trace, filename) {
  if (!trace) return;
  const text = typeof trace === 'string' ? trace : JSON.stringify(trace, null, 1);
  const blob = new Blob([text], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
