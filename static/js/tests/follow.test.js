// Following the teacher: the view a controller sends, how a follower applies it, detaching and
// rejoining, and the throttle that keeps a dragged scrubber from flooding the class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Timeline } from '../timeline.js';
import { LabStore } from '../store.js';
import { viewOf, sameView, shareableItem, applyView, throttled, bindFollow } from '../follow.js';

const crash = JSON.parse(readFileSync(new URL('./fixtures/2pc-coordinator-crash.json', import.meta.url)));

function page(role, timing = {}) {
  const store = new LabStore({ timeline: new Timeline(), mode: 'live', role });
  const sent = [];
  const shown = [];
  const pulses = [];
  const zooms = [];
  const ctx = {
    store, showTab: (id) => { shown.push(id); store.setTab(id); }, pulse: (item) => pulses.push(item),
    spacetime: { zoom: () => ({ axis: 'seq', row_px: 18, ms_px: 1 }), setZoom: (z) => zooms.push(z) },
  };
  const follow = bindFollow(ctx, (frame) => { sent.push(frame); return true; }, timing);
  store.appendEvents(crash.events.slice(0, 40));
  return { store, follow, sent, shown, pulses, zooms };
}

test('a view says live as null, keeps only shareable items and leaves the teacher-only tabs out', () => {
  const view = viewOf({ follow: true, playhead: 40, tab: 'pending', selected: { kind: 'bundle', id: 'x', ids: [] } });
  assert.deepEqual(view, { seq: null, tab: null, selected: null, zoom: null, spotlight: null, showing: null });
  const back = viewOf({ follow: false, playhead: 12, tab: 'invariants', selected: { kind: 'message', id: 'm3', extra: 1 } });
  assert.equal(back.seq, 12);
  assert.equal(back.tab, 'invariants');
  assert.deepEqual(back.selected, { kind: 'message', id: 'm3' });
  assert.equal(shareableItem({ kind: 'event', seq: -1 }).seq, undefined);
  assert.ok(sameView({ ...back, v: 1 }, { ...back, v: 7 }));
  assert.ok(!sameView(back, { ...back, seq: 13 }));
});

test('the controller sends its view when it scrubs, switches tab or spotlights', () => {
  let now = 1000;
  const timers = [];
  const later = () => { now += 200; timers.splice(0).forEach((fn) => fn()); };
  const { store, follow, sent, pulses } = page('controller', { clock: { setTimeout: (fn) => timers.push(fn) }, now: () => now });
  follow.welcome({ view: null });
  const views = () => sent.filter((f) => f.type === 'view').map((f) => f.view);
  assert.equal(views().at(-1).seq, null, 'live at first');
  store.seek(10);
  later();
  assert.equal(views().at(-1).seq, 10);
  store.setTab('invariants', true);
  later();
  assert.equal(views().at(-1).tab, 'invariants');
  const before = views().length;
  store.setTab('invariants', true);
  later();
  assert.equal(views().length, before, 'nothing changed, nothing sent');
  follow.spotlight({ kind: 'node', name: 'p1' });
  later();
  assert.deepEqual(pulses.at(-1), { kind: 'node', name: 'p1', n: 1 });
  assert.deepEqual(views().at(-1).spotlight, { kind: 'node', name: 'p1', n: 1 });
});

test('a follower applies the teacher view, detaches on its own move and rejoins where the teacher is', () => {
  const { store, follow, sent, shown, pulses, zooms } = page('watcher');
  assert.ok(store.following);
  follow.welcome({ view: { seq: 12, tab: 'invariants', selected: { kind: 'message', id: 'm2' }, zoom: { axis: 'time', ms_px: 4 },
    spotlight: { kind: 'node', name: 'p1', n: 1 }, showing: null, v: 3 } });
  assert.equal(store.playhead, 12);
  assert.deepEqual(shown, ['invariants']);
  assert.deepEqual(store.selected, { kind: 'message', id: 'm2' });
  assert.deepEqual(zooms.at(-1), { axis: 'time', ms_px: 4 });
  assert.equal(pulses.length, 1);
  assert.ok(store.following, 'applying the view is not the student moving');
  follow.view({ view: { seq: 12, tab: 'invariants', spotlight: { kind: 'node', name: 'p1', n: 1 }, v: 4 } });
  assert.equal(pulses.length, 1, 'the same spotlight pulses once');
  follow.view({ view: { seq: 20, v: 2 } });
  assert.equal(store.playhead, 12, 'an older view is ignored');

  store.stepBack(); // the student's own move
  assert.ok(!store.following);
  assert.deepEqual(sent.at(-1), { type: 'presence', following: false });
  follow.view({ view: { seq: 30, tab: 'states', v: 5 } });
  assert.notEqual(store.playhead, 30, 'a detached page keeps its own position');
  follow.rejoin();
  assert.ok(store.following);
  assert.equal(store.playhead, 30);
  assert.equal(store.tab, 'states');
  assert.deepEqual(sent.at(-1), { type: 'presence', following: true });
});

test('a follower whose teacher is further than the events it holds catches up to the teacher', () => {
  const store = new LabStore({ timeline: new Timeline(), mode: 'live', role: 'watcher' });
  const follow = bindFollow({ store, showTab: () => {} }, () => true);
  store.appendEvents(crash.events.slice(0, 10));
  follow.welcome({ view: { seq: 30, v: 1 } });
  assert.equal(store.playhead, 10);
  store.appendEvents(crash.events.slice(10, 40));
  assert.equal(store.playhead, 30);
  assert.ok(store.following);
});

test('a tab the student opens detaches; one opened by the teacher view does not', () => {
  const { store } = page('watcher');
  store.setTab('nodes');
  assert.ok(store.following);
  store.setTab('states', true);
  assert.ok(!store.following);
});

test('views go out at most every 100 ms, and the last one always does', () => {
  let now = 0;
  const timers = [];
  const clock = { setTimeout: (fn, ms) => timers.push({ fn, at: now + ms }) };
  let sends = 0;
  const push = throttled(() => { sends += 1; }, { minMs: 100, clock, now: () => now });
  push();
  for (now = 10; now < 100; now += 10) push();
  assert.equal(sends, 1);
  assert.equal(timers.length, 1, 'one trailing send is scheduled');
  now = timers[0].at;
  timers[0].fn();
  assert.equal(sends, 2);
});

test('applyView goes live for a null seq', () => {
  const calls = [];
  const targets = { seek: (s) => calls.push(['seek', s]), goLive: () => calls.push(['live']), showTab: () => {},
    select: () => {}, zoom: () => {}, spotlight: () => {}, showing: () => {} };
  applyView({ seq: null }, targets);
  applyView({ seq: 4 }, targets);
  assert.deepEqual(calls, [['live'], ['seek', 4]]);
});
