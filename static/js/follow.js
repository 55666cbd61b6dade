// Follow the teacher: the controller's view travels to every page of the session (docs/websocket-protocol.md).
//
// The controller's page sends its view (`viewOf`) whenever it changes, at most every VIEW_MIN_MS
// (the last change always goes out: a trailing send). Every page gets each view as a `view` frame
// numbered `v`; a following page applies it (`applyView`) with the store's `applying` flag set, so
// the change is not mistaken for the student's own. A follower's own move detaches it (store.js);
// "Back to the teacher" applies the latest view again. The view lives beside the log, never in it.

export const VIEW_MIN_MS = 100;
/** At most ten views a second from the controller: a dragged scrubber does not flood the class. */

export const SPOTLIGHT_MS = 4000;
/** How long a spotlighted item pulses on every screen. */

const ITEM_KINDS = new Set(['message', 'event', 'node', 'invariant', 'transition']);
const CONTROLLER_TABS = new Set(['pending', 'partition', 'class', 'questions']);
/** Tabs only a controller has: a follower keeps the tab it had. */

/** Return an item as the view schema carries it (only the fields that name it), or null. */
export function shareableItem(item) {
  if (!item || !ITEM_KINDS.has(item.kind)) return null;
  const out = { kind: item.kind };
  for (const key of ['id', 'name']) if (typeof item[key] === 'string') out[key] = item[key];
  for (const key of ['seq', 'row']) if (Number.isInteger(item[key]) && item[key] >= 0) out[key] = item[key];
  return out;
}

/** Return the controller's view: where it is (null: live), tab, selection, zoom, spotlight, a sandbox shown. */
export function viewOf({ follow, playhead, tab, selected, zoom, spotlight, showing }) {
  return {
    seq: follow ? null : playhead,
    tab: tab && !CONTROLLER_TABS.has(tab) ? tab : null,
    selected: shareableItem(selected),
    zoom: zoom || null,
    spotlight: spotlight || null,
    showing: showing || null,
  };
}

/** Return true when two views show the same thing (the server's number `v` aside). */
export function sameView(a, b) {
  if (!a || !b) return a === b;
  const strip = (v) => JSON.stringify({ ...v, v: undefined });
  return strip(a) === strip(b);
}

/**
 * Apply a view through `targets` {seek(seq), goLive(), showTab(id), select(item), zoom(z), spotlight(item), showing(id)}.
 * `previous`: the view applied before (a spotlight pulses only when it is new).
 */
export function applyView(view, targets, previous = null) {
  if (!view) return;
  if (view.seq === null || view.seq === undefined) targets.goLive(); else targets.seek(view.seq);
  if (view.tab) targets.showTab(view.tab);
  targets.select(view.selected || null);
  if (view.zoom) targets.zoom(view.zoom);
  if (view.spotlight && !sameSpot(view.spotlight, previous && previous.spotlight)) targets.spotlight(view.spotlight);
  targets.showing(view.showing || null);
}

function sameSpot(a, b) {
  return Boolean(a && b) && JSON.stringify(a) === JSON.stringify(b);
}

/** Return a sender that sends `frame()` at most every `minMs`, the last call always going out. */
export function throttled(send, { minMs = VIEW_MIN_MS, clock = globalThis, now = () => Date.now() } = {}) {
  let last = -Infinity;
  let timer = null;
  return function request() {
    const wait = last + minMs - now();
    if (wait <= 0) {
      last = now();
      send();
      return;
    }
    if (timer === null) {
      timer = clock.setTimeout(() => { timer = null; last = now(); send(); }, wait);
    }
  };
}

/**
 * Wire following into a live page. `ctx`: store, showTab, spacetime (setZoom), spotlight(item);
 * `send(frame)` reaches the socket; `timing` ({clock, now}) paces the controller's sends (tests pass their own).
 * Returns {welcome(frame), view(frame), rejoin(), spotlight(item), show(id)}.
 */
export function bindFollow(ctx, send, timing = {}) {
  const { store } = ctx;
  let latest = null;      // the teacher's newest view
  let applied = null;     // the view this page applied last
  let sent = null;        // controller: the view sent last
  let spotlight = null;   // controller: the spotlight it set (numbered, so the same item pulses again)
  let spotN = 0;
  let showing = null;

  const targets = {
    seek: (seq) => { store.setLocalPlaying(false); store.seek(seq); },
    goLive: () => store.goLive(),
    showTab: (id) => ctx.showTab(id),
    select: (item) => store.setSelected(item),
    zoom: (z) => ctx.spacetime && ctx.spacetime.setZoom(z),
    spotlight: (item) => ctx.pulse && ctx.pulse(item),
    showing: (id) => { if (store.showing !== id) { store.showing = id; store.emit('class', { showing: id }); } },
  };

  function apply(view) {
    store.applying = true;
    try { applyView(view, targets, applied); } finally { store.applying = false; }
    applied = view;
  }

  // A follower: apply each newer view; one that points past the events held is applied again as they come.
  function receive(view) {
    if (!view || (latest && view.v !== undefined && latest.v !== undefined && view.v <= latest.v)) return;
    latest = view;
    store.teacherView = view;
    if (store.following) apply(view);
  }
  store.on('events', () => {
    if (!store.following || !latest || latest.seq === null || latest.seq === undefined) return;
    if (store.playhead !== latest.seq || store.follow) apply(latest);
  });

  // The controller: send the view when what it shows changes.
  const current = () => viewOf({
    follow: store.follow && !store.localPlaying, playhead: store.playhead, tab: store.tab,
    selected: store.selected, zoom: ctx.spacetime ? ctx.spacetime.zoom() : null, spotlight, showing,
  });
  const push = throttled(() => {
    if (!store.controller) return;
    const view = current();
    if (sameView(view, sent)) return;
    if (send({ type: 'view', view })) sent = view;
  }, timing);
  for (const topic of ['playhead', 'select', 'tab', 'zoom', 'local']) store.on(topic, () => { if (store.controller) push(); });
  store.on('following', (on) => {
    send({ type: 'presence', following: on });
    if (on && latest) apply(latest);
  });

  return {
    welcome(frame) { sent = null; if (frame.view) receive(frame.view); else if (store.controller) push(); },
    view(frame) { if (!store.controller) receive(frame.view); },
    rejoin() { store.setFollowing(true); },
    /** Controller: spotlight an item on every screen (and this one). */
    spotlight(item) {
      const it = shareableItem(item);
      if (!it) return;
      spotN += 1;
      spotlight = { ...it, n: spotN };
      if (ctx.pulse) ctx.pulse(spotlight);
      push();
    },
    /** Controller: put a sandbox on the projector (null: back to the class). */
    show(id) { showing = id; targets.showing(id); push(); },
  };
}
