// Keyboard: Space plays or pauses, Right steps, Left steps back in history. Keys typed into a
// field, or with a modifier, are left alone.

const EDITABLE = new Set(['INPUT', 'SELECT', 'TEXTAREA']);

/** Bind the keys to `actions` on `target` (the document); return a function that unbinds them. */
export function bindKeys(target, actions, store) {
  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const el = ev.target;
    if (el && (EDITABLE.has(el.tagName) || el.isContentEditable)) return;
    if (ev.key === ' ' || ev.code === 'Space') {
      ev.preventDefault();
      const playing = store.localPlaying || (store.mode === 'live' && store.play.playing && store.follow);
      if (playing) actions.pause(); else actions.play();
    } else if (ev.key === 'ArrowRight') {
      ev.preventDefault();
      actions.step();
    } else if (ev.key === 'ArrowLeft') {
      ev.preventDefault();
      actions.back();
    }
  }
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}
