// "Save as lesson" (the controller only): keep the session so far (its steps, the teacher's notes and the
// open or revealed questions) as a lesson link students take at their own pace (POST
// /api/sessions/<id>/lesson). The lesson opens in a new tab with its results token in the fragment
// (the teacher's view); the plain link, without the fragment, is the one to give the class.

import { h } from '../dom.js';
import { icon } from '../icons.js';

export function createLessonSave(el, ctx) {
  const { store, t } = ctx;
  const button = h('button', {
    type: 'button', class: 'ctl', dataset: { action: 'save-lesson' }, 'aria-label': t('lesson.save'),
    title: t('lesson.save.hint'), onclick: () => save(),
  }, icon('export'), t('lesson.save'));

  async function save() {
    const title = window.prompt(t('lesson.save.title'), store.owner ? `${store.protocol} · ${store.owner}` : store.protocol);
    if (title === null || !title.trim()) return;
    const win = window.open('', '_blank');
    try {
      const response = await fetch(`/api/sessions/${encodeURIComponent(store.sessionId)}/lesson`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ control_token: ctx.controlToken(), title: title.trim() }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.message || response.statusText);
      ctx.toast(t('lesson.save.done', { url: body.url }));
      const teacher = `${body.url}#token=${encodeURIComponent(body.lesson_token)}`;
      if (win) win.location.href = teacher;
    } catch (err) {
      if (win) win.close();
      ctx.toast(t('lesson.save.failed', { message: err.message }));
    }
  }

  const shown = () => { button.hidden = !store.controller; };
  store.on('role', shown);
  shown();
  el.append(button);
  return { update() {} };
}
