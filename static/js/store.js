// The lab store: the timeline plus what the page shares between views.
//
// Views never talk to each other. They read the store and change it through
// its methods; the store tells whoever listens (`on(topic, fn)`). Topics:
//   events   new events were appended        reset    the timeline was dropped
//   playhead the seq being shown changed      hover    the pointed-at item changed
//   select   the clicked item changed         conn     connection state changed
//   hot      the server's hot state arrived   play     play/speed changed
//   role     controller/watcher/reader        error    a refused command or frame
//   local    local playback started/stopped
//   following  a watcher started or stopped following the teacher's view (follow.js)
//   tab      a panel tab was opened            zoom     the space-time zoom changed
//   spotlight  something was spotlighted      class    audience, sandboxes or the end of class changed
//
// A watcher follows the controller's view by default. `applying` is set while follow.js applies the
// teacher's view; any other change of position, selection, tab or zoom is the watcher's own, and
// detaches them ("Exploring on your own") until they rejoin.
// The playhead either follows the newest event ("live") or rests on a seq in
// history. Hover and selection are items: {kind: 'message', id} |
// {kind: 'event', seq} | {kind: 'node', name} | {kind: 'transition', row}.

export class LabStore {
  constructor({ timeline, role = 'watcher', mode = 'live', sessionId = null, owner = '', protocol = '' }) {
    this.timeline = timeline;
    this.role = role;           // controller | watcher | reader (an imported trace)
    this.mode = mode;           // live | import
    this.sessionId = sessionId;
    this.owner = owner;
    this.protocol = protocol;
    this.conn = mode === 'import' ? 'offline' : 'connecting';
    this.hot = null;
    this.play = { playing: false, speed: 0.05 };
    this.localPlaying = false;
    this.localSpeed = 0.05;
    this.follow = true;
    this.seq = 0;
    this.hover = null;
    this.selected = null;
    this.trace = null;          // an imported trace, whole
    this.following = role === 'watcher' && mode === 'live';
    this.applying = false;      // true while the teacher's view is being applied
    this.tab = null;            // the panel tab shown
    this.listeners = new Map();
  }

  /** A change the user made (not the teacher's view being applied): a follower detaches. */
  userMoved() {
    if (this.applying || !this.following) return;
    this.setFollowing(false);
  }

  setFollowing(on) {
    const next = Boolean(on) && this.role === 'watcher' && this.mode === 'live';
    if (next === this.following) return;
    this.following = next;
    this.emit('following', next);
  }

  /** Note the tab shown (`byUser`: a click or a key, not the teacher's view). */
  setTab(id, byUser = false) {
    if (byUser) this.userMoved();
    if (id === this.tab) return;
    this.tab = id;
    this.emit('tab', id);
  }

  /** Listen to a topic; return a function that stops listening. */
  on(topic, fn) {
    if (!this.listeners.has(topic)) this.listeners.set(topic, new Set());
    this.listeners.get(topic).add(fn);
    return () => this.listeners.get(topic).delete(fn);
  }

  emit(topic, payload) {
    for (const fn of this.listeners.get(topic) || []) fn(payload);
  }

  /** The seq being shown. */
  get playhead() {
    return this.follow ? this.timeline.lastSeq : Math.min(this.seq, this.timeline.lastSeq);
  }

  get controller() { return this.role === 'controller' && this.mode === 'live'; }

  appendEvents(events) {
    const added = this.timeline.append(events);
    if (!added) return;
    this.emit('events', added);
    if (this.follow) this.emit('playhead', this.playhead);
  }

  resetTimeline() {
    this.timeline.reset();
    this.follow = true;
    this.seq = 0;
    this.hover = null;
    this.selected = null;
    this.localPlaying = false;
    this.emit('reset');
    this.emit('playhead', 0);
  }

  /** Show the state after `seq`; reaching the newest event (live mode) follows again. */
  seek(seq) {
    this.userMoved();
    const last = this.timeline.lastSeq;
    const target = Math.max(0, Math.min(seq, last));
    const follow = this.mode === 'live' && target >= last && !this.localPlaying;
    if (target === this.playhead && follow === this.follow) return;
    this.seq = target;
    this.follow = follow;
    this.emit('playhead', this.playhead);
  }

  /** Follow the newest event again. */
  goLive() {
    this.userMoved();
    this.follow = true;
    this.setLocalPlaying(false);
    this.emit('playhead', this.playhead);
  }

  /** Move to the end of the next step; return false at the end of the log. */
  stepForward() {
    const here = this.playhead;
    if (here >= this.timeline.lastSeq) return false;
    this.seek(this.timeline.nextStepEnd(here));
    return true;
  }

  /** Move to the end of the previous step (history: a seek, never an undo on the server). */
  stepBack() {
    this.userMoved();
    const here = this.playhead;
    this.follow = false;
    this.seq = here;
    this.seek(this.timeline.prevStepEnd(here));
  }

  setLocalPlaying(on) {
    if (on) this.userMoved();
    if (on === this.localPlaying) return;
    this.localPlaying = on;
    if (on && this.follow) { this.follow = false; this.seq = this.timeline.lastSeq; }
    this.emit('local', on);
  }

  setHover(item) {
    if (sameItem(item, this.hover)) return;
    this.hover = item;
    this.emit('hover', item);
  }

  select(item) {
    this.userMoved();
    this.setSelected(sameItem(item, this.selected) ? null : item);
  }

  /** Select exactly `item` (null: nothing), without toggling. */
  setSelected(item) {
    if (sameItem(item, this.selected)) return;
    this.selected = item;
    this.emit('select', this.selected);
  }

  setConn(state) { if (state !== this.conn) { this.conn = state; this.emit('conn', state); } }
  setRole(role) {
    if (role === this.role) return;
    this.role = role;
    if (role !== 'watcher') this.following = false;
    this.emit('role', role);
  }
  setHot(hot) { this.hot = hot; this.emit('hot', hot); }
  setPlay(play) { this.play = { ...this.play, ...play }; this.emit('play', this.play); }

  /** Return the item to describe: the pointed-at one, else the clicked one. */
  get focus() { return this.hover || this.selected; }
}

/** Return true when two hover/selection items name the same thing. */
export function sameItem(a, b) {
  if (!a || !b) return a === b;
  return a.kind === b.kind && a.id === b.id && a.seq === b.seq && a.name === b.name && a.row === b.row;
}

/** Return the message id an item concerns (a message, or the event of one), or null. */
export function itemMessage(item, timeline) {
  if (!item) return null;
  if (item.kind === 'message') return item.id;
  if (item.kind === 'event') {
    const e = timeline.event(item.seq);
    return e && e.message ? e.message.msg_id : null;
  }
  return null;
}
