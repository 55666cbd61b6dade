// Import a trace file: a saved JSON trace (GET /api/sessions/<id>/trace or `manage.py simulate
// --format json`) is replayed here, read-only, without any server session.

import { h } from '../dom.js';
import { icon } from '../icons.js';

export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
/** A 1,000,000-event trace is about 300 MB; beyond this a browser tab struggles. */

/** Check that a parsed file looks like a trace; return an error key, or null. */
export function checkTrace(trace) {
  if (!trace || typeof trace !== 'object') return 'import.notJson';
  if (trace.version !== 2) return 'import.version';
  if (!Array.isArray(trace.events)) return 'import.noEvents';
  for (let i = 0; i < trace.events.length; i += 1) {
    const e = trace.events[i];
    if (!e || e.seq !== i + 1 || typeof e.kind !== 'string' || typeof e.time !== 'number') return 'import.badEvent';
  }
  return null;
}

export function createImportButton(el, ctx) {
  const { t, actions } = ctx;
  const input = h('input', { type: 'file', accept: '.json,application/json', hidden: true, dataset: { action: 'import-file' } });
  const button = h('button', { type: 'button', class: 'ctl', dataset: { action: 'import' }, 'aria-label': t('import.title'),
    title: t('import.hint'), onclick: () => input.click() }, icon('import'), t('import.title'));
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    if (file.size > MAX_IMPORT_BYTES) { ctx.toast(t('import.tooLarge')); return; }
    let trace;
    const text = await file.text();
    try { trace = JSON.parse(text); } catch (err) { ctx.toast(t('import.notJson')); return; }
    const problem = checkTrace(trace);
    if (problem) { ctx.toast(t(problem)); return; }
    actions.importTrace(trace, file.name, text);
  });
  el.append(button, input);
  return { update() {} };
}
