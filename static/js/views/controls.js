// The controls bar: Play, Pause, Step, Back, Reset, speed, the scrubber over the whole log, Live,
// and Fork from here. What a button does depends on where the playhead is (see app.js `actions`):
// at the newest event a controller commands the server; in history (or an imported trace) the
// same buttons move the local playhead. Watchers get only the history controls, which never change
// the session. Every button has data-action for tests and an aria-label in the page's language.

import { h, fill } from '../dom.js';
import { icon } from '../icons.js';
import { finished } from '../actions.js';

export const SPEEDS = [0.01, 0.02, 0.05, 0.1, 0.25, 1, 0];
/** Virtual ms per wall ms; 0 is "as fast as possible" (the server batches). */
export const WATCHER_HISTORY_CONTROLS = false;
/**
 * The page contract says a watcher sees no controls. Watchers can still look back (click an event,
 * a violation or a caption; Left and Right keys) and get a Live button while away from the newest
 * event. Set true to give them Back, Forward and the scrubber too (they never change the session).
 */

export function createControls(el, ctx) {
  const { store, t, actions } = ctx;
  const btn = (action, glyph, key, onclick, extra = {}) => h('button', {
    type: 'button', class: `ctl ctl-${action}`, dataset: { action }, 'aria-label': t(key), title: t(`${key}.hint`),
    onclick, ...extra,
  }, icon(glyph), h('span', { class: 'word' }, t(key)));

  const play = btn('play', 'play', 'controls.play', () => actions.play());
  const pause = btn('pause', 'pause', 'controls.pause', () => actions.pause());
  const step = btn('step', 'step', 'controls.step', () => actions.step());
  const forward = btn('forward', 'step', 'controls.forward', () => actions.step());
  const back = btn('back', 'back', 'controls.back', () => actions.back());
  const reset = btn('reset', 'reset', 'controls.reset', () => actions.reset());
  const fork = btn('fork', 'fork', 'controls.fork', () => actions.fork());
  const live = btn('live', 'live', 'controls.live', () => actions.live());
  const speed = h('select', { dataset: { action: 'speed' }, 'aria-label': t('controls.speed'), title: t('controls.speed.hint'),
    onchange: () => actions.setSpeed(Number(speed.value)) },
  SPEEDS.map((v) => h('option', { value: v }, v === 0 ? t('controls.speed.max') : `${v}×`)));
  const speedLabel = h('label', { class: 'speed' }, h('span', { class: 'word' }, t('controls.speed')), speed);
  const scrub = h('input', { type: 'range', min: 0, max: 0, value: 0, step: 1, dataset: { action: 'scrub' },
    'aria-label': t('controls.scrub'), oninput: () => actions.seek(Number(scrub.value)) });
  const where = h('output', { class: 'where', 'aria-live': 'off' });
  // A run that can go no further says so, and Play becomes "Replay from start" (the server's words: hot.done).
  const ended = h('span', { class: 'run-finished', role: 'status', hidden: true });
  const session = h('div', { class: 'ctl-group session', role: 'group', 'aria-label': t('controls.session') });
  const history = h('div', { class: 'ctl-group history', role: 'group', 'aria-label': t('controls.history') });
  el.append(session);
  ctx.scrubHost.append(history);

  function layout() {
    const local = store.mode === 'import';
    const full = store.controller || local;
    live.hidden = false;
    if (full) fill(session, back, play, pause, step, reset, speedLabel, local ? null : fork);
    else fill(session, WATCHER_HISTORY_CONTROLS ? [back, forward] : []);
    fill(history, full || WATCHER_HISTORY_CONTROLS ? scrub : null, where, ended, local ? null : live);
    history.classList.toggle('readout', !(full || WATCHER_HISTORY_CONTROLS));
    render();
  }

  function render() {
    dirty = false;
    const last = store.timeline.lastSeq;
    const here = store.playhead;
    if (scrub.max !== String(last)) scrub.max = String(last);
    if (scrub.value !== String(here)) scrub.value = String(here);
    const e = store.timeline.event(here);
    const text = t('controls.where', { seq: here, last, time: e ? e.time : 0 });
    if (where.value !== text) where.value = text;
    const done = finished(store);
    const playing = store.localPlaying || (store.mode === 'live' && store.play.playing && store.follow && !done);
    ended.hidden = !done;
    if (done) {
      const text = t(store.hot.truncated ? 'controls.finished.limit' : 'controls.finished', { seq: store.hot.seq });
      if (ended.textContent !== `■ ${text}`) ended.textContent = `■ ${text}`;
    }
    const playWord = done && !store.localPlaying ? t('controls.replay') : t('controls.play');
    if (play.lastChild.textContent !== playWord) { play.lastChild.textContent = playWord; play.setAttribute('aria-label', playWord); }
    play.setAttribute('aria-pressed', String(playing));
    pause.setAttribute('aria-pressed', String(!playing));
    play.disabled = playing;
    pause.disabled = !playing;
    back.disabled = here <= 0;
    live.disabled = store.follow;
    live.classList.toggle('behind', !store.follow);
    if (!store.controller && store.mode === 'live' && !WATCHER_HISTORY_CONTROLS) live.hidden = store.follow;
    const speedNow = store.mode === 'live' && store.follow ? store.play.speed : store.localSpeed;
    if (Number(speed.value) !== speedNow && SPEEDS.includes(speedNow)) speed.value = String(speedNow);
    step.disabled = store.mode === 'import' && here >= last;
  }

  // Store events only mark the bar stale; it is drawn in the next animation frame (app.js), however
  // many events arrived since the last one.
  let dirty = true;
  for (const topic of ['playhead', 'events', 'play', 'local', 'reset', 'hot']) store.on(topic, () => { dirty = true; });
  store.on('role', layout);
  layout();
  return { update() { if (dirty) render(); }, render };
}
