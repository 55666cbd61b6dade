// The export menu: the JSON trace, ShiViz and Mermaid from the server, and SVG or PNG images of
// the space-time diagram drawn here. An imported trace offers its JSON back and the images.
// Every file is named `<protocol>-<session>-g<generation>.<ext>` (exportName), as the server names
// what it sends (dashboard/api_exports.py), so the files of one run sort together. ShiViz and Mermaid
// come in the page's language (exportQuery).

import { h, fill } from '../dom.js';
import { icon } from '../icons.js';
import { exportSvg, exportPng } from '../export-image.js';

export function createExportMenu(el, ctx) {
  const { store, t } = ctx;
  const menu = h('details', { class: 'menu export-menu' });
  const list = h('div', { class: 'menu-items', role: 'menu' });
  menu.append(h('summary', { dataset: { action: 'export' }, 'aria-label': t('export.title') }, icon('export'), t('export.title')), list);
  el.append(menu);

  /** Return a file's name for extension `ext`, for the run shown now (a reset starts a new generation). */
  const name = (ext) => exportName(store, ext);

  function link(action, href, label, ext) {
    return h('a', { role: 'menuitem', dataset: { action }, href, download: name(ext),
      onclick: (ev) => { ev.currentTarget.download = name(ext); menu.open = false; } }, label);
  }

  function item(action, label, fn) {
    return h('button', { type: 'button', role: 'menuitem', dataset: { action }, onclick: () => { menu.open = false; fn(); } }, label);
  }

  function render() {
    const id = store.sessionId;
    const server = store.mode === 'live' && id;
    const url = (fmt) => `/api/sessions/${encodeURIComponent(id)}/export/${fmt}${exportQuery(fmt)}`;
    fill(list,
      server ? link('export-json', url('json'), t('export.json'), 'json')
        : item('export-json', t('export.json'), () => downloadJson(store.traceText || store.trace, name('json'))),
      server ? link('export-shiviz', url('shiviz'), t('export.shiviz'), 'shiviz.log') : null,
      server ? link('export-mermaid', url('mermaid'), t('export.mermaid'), 'mmd') : null,
      item('export-svg', t('export.svg'), () => exportSvg(ctx, name('svg'))),
      item('export-png', t('export.png'), () => exportPng(ctx, name('png')).catch((err) => ctx.toast(String(err)))));
  }

  store.on('role', render);
  render();
  return { update() {} };
}

/**
 * Return the query an export asks with: the page's language for the formats with words (text, ShiViz,
 * Mermaid: `?lang=zh-hans` on a Chinese page, as `manage.py simulate --lang`), nothing for JSON (data).
 */
export function exportQuery(fmt, lang = (document.getElementById('lab') || { dataset: {} }).dataset.lang) {
  return fmt !== 'json' && lang && lang !== 'en' ? `?lang=${encodeURIComponent(lang)}` : '';
}

/**
 * Return the name of an export: `<protocol>-<session>-g<generation>.<ext>`. An imported trace is
 * named after the session it was saved from (its `session` block), else `import`, generation 1.
 */
export function exportName(store, ext) {
  const saved = (store.trace && store.trace.session) || {};
  const session = store.sessionId || saved.id || 'import';
  const generation = store.sessionId ? (store.generation || 1) : (saved.generation || 1);
  return `${store.protocol || 'trace'}-${session}-g${generation}.${ext}`;
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
