// A finished run says so, and Play replays it from the start on this page (the session is not changed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Timeline } from '../timeline.js';
import { LabStore } from '../store.js';
import { makeActions, finished } from '../actions.js';

const crash = JSON.parse(readFileSync(new URL('./fixtures/2pc-coordinator-crash.json', import.meta.url)));

test('Play at the end of a finished run replays it locally instead of asking the server', () => {
  const store = new LabStore({ timeline: new Timeline(), mode: 'live', role: 'controller' });
  const sent = [];
  const actions = makeActions(store, { send: (f) => { sent.push(f); return true; }, toast: () => {}, t: (k) => k });
  store.appendEvents(crash.events);
  store.setHot({ seq: store.timeline.lastSeq, done: false });
  assert.equal(finished(store), false);
  actions.play();
  assert.deepEqual(sent, [{ type: 'play' }], 'a run still going: the server plays it');
  store.setHot({ seq: store.timeline.lastSeq, done: true, quiescent: true });
  assert.equal(finished(store), true);
  actions.play();
  assert.equal(sent.length, 1, 'nothing more is sent');
  assert.ok(store.localPlaying && store.playhead < store.timeline.lastSeq, 'replaying from the start');
});

test('a run is not finished while the page still lacks events the server has', () => {
  const store = new LabStore({ timeline: new Timeline(), mode: 'live', role: 'watcher' });
  store.appendEvents(crash.events.slice(0, 10));
  store.setHot({ seq: 50, done: true });
  assert.equal(finished(store), false);
});
