// The teacher's notes, in the story row as the class reaches them: the newest note pinned at or
// before the position shown. The teacher pins one to the position shown (Note here) or removes it.

import { h, fill } from '../dom.js';

/** Return the note to show at `seq`: the last one pinned at or before it (null: none). */
export function noteAt(notes, seq) {
  let found = null;
  for (const note of notes || []) if (note.seq <= seq && (!found || note.seq >= found.seq)) found = note;
  return found;
}

export function createNotesStrip(el, ctx) {
  const { store, t } = ctx;
  const text = h('span', { class: 'note-text', 'aria-live': 'polite' });
  const add = h('button', { type: 'button', class: 'ctl note-add', dataset: { action: 'add-note' }, title: t('notes.add.hint'),
    onclick: () => {
      const words = window.prompt(t('notes.add.prompt', { seq: store.playhead }));
      if (words && words.trim()) ctx.send({ type: 'note', seq: store.playhead, text: words.trim() });
    } }, `✎ ${t('notes.add')}`);
  el.append(text, add);
  let shown = '';

  function update() {
    const note = noteAt(store.notes, store.playhead);
    const key = `${note ? note.id : ''}|${store.controller}`;
    add.hidden = !store.controller;
    if (key === shown) return;
    shown = key;
    el.classList.toggle('has-note', Boolean(note));
    fill(text, note ? [h('strong', {}, `✎ ${t('notes.title')}: `), note.text,
      store.controller ? h('button', { type: 'button', class: 'note-remove', dataset: { action: 'remove-note', note: note.id },
        'aria-label': t('notes.remove'), title: t('notes.remove'), onclick: () => ctx.send({ type: 'unnote', id: note.id }) }, '×') : null] : []);
  }

  store.on('notes', () => { shown = ''; });
  store.on('role', () => { shown = ''; });
  return { update };
}
