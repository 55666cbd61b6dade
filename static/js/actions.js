// What the buttons and keys do. One rule: at the newest event a controller commands the server
// (play, pause, step, reset, speed, engine commands); anywhere in history, for a watcher, or in an
// imported trace, the same buttons move the local playhead and never touch the session.

/** Return true when the server says the run can go no further (quiescent, or at its event limit). */
export function finished(store) {
  return store.mode === 'live' && Boolean(store.hot && store.hot.done) && store.hot.seq <= store.timeline.lastSeq;
}

/** Return the actions object the views call. `send(frame)` reaches the socket; `toast(text)` tells the user. */
export function makeActions(store, { send, toast, t, fork, importTrace }) {
  const serverControls = () => store.controller && store.follow && !store.localPlaying && !finished(store);
  const sendOrSay = (frame) => { if (!send(frame)) toast(t('conn.notSent')); };

  return {
    play() {
      if (serverControls()) { sendOrSay({ type: 'play' }); return; }
      if (store.playhead >= store.timeline.lastSeq) {
        // At the end of an imported trace or a finished run, Play is "Replay from start" (locally).
        if (store.mode !== 'import' && !finished(store)) return;
        store.seek(store.timeline.nextStepEnd(0));
      }
      store.setLocalPlaying(true);
    },
    pause() {
      store.setLocalPlaying(false);
      if (store.controller && store.play.playing) sendOrSay({ type: 'pause' });
    },
    step() {
      if (serverControls()) { sendOrSay({ type: 'step' }); return; }
      store.setLocalPlaying(false);
      if (!store.stepForward() && store.mode === 'live') store.goLive();
    },
    back() {
      store.setLocalPlaying(false);
      store.stepBack();
    },
    reset() {
      if (store.controller) { sendOrSay({ type: 'reset' }); return; }
      store.setLocalPlaying(false);
      store.seek(store.timeline.nextStepEnd(0)); // every node booted: the start of the story
    },
    setSpeed(value) {
      store.localSpeed = value;
      if (store.controller) sendOrSay({ type: 'speed', value });
      store.emit('play', store.play);
    },
    seek(seq) {
      store.setLocalPlaying(false);
      store.seek(seq);
    },
    live() { store.goLive(); },
    command(command) {
      if (!store.controller) { toast(t('error.forbidden')); return; }
      sendOrSay({ type: 'command', command });
    },
    fork() { return fork(store.playhead); },
    importTrace,
  };
}
