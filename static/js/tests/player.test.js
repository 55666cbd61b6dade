// The player: tau glides between event times for small forward moves, jumps otherwise; local
// playback advances one engine step at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Timeline } from '../timeline.js';
import { LabStore } from '../store.js';
import { Player, DWELL_MS } from '../player.js';

const crash = JSON.parse(readFileSync(new URL('./fixtures/2pc-coordinator-crash.json', import.meta.url)));

function rig(mode = 'live') {
  const store = new LabStore({ timeline: new Timeline(), mode, role: mode === 'live' ? 'controller' : 'reader' });
  const frames = [];
  const player = new Player(store, { onFrame: (f) => frames.push(f), raf: () => {} });
  return { store, player, frames };
}

test('the first catch-up jumps; a small step forward glides from one time to the next', () => {
  const { store, player, frames } = rig();
  player.tick(0);
  store.appendEvents(crash.events.slice(0, 24)); // boot and the first delivery (time 6)
  player.tick(10);
  assert.equal(frames.at(-1).seq, 24);
  assert.equal(frames.at(-1).tau, 6, 'jumped');
  store.appendEvents(crash.events.slice(24, 30)); // p1 gets PREPARE at 9 ms
  player.tick(20);
  assert.equal(frames.at(-1).fromSeq, 24);
  assert.ok(frames.at(-1).animating);
  player.tick(20 + 90);
  const mid = frames.at(-1).tau;
  assert.ok(mid > 6 && mid < 9, `tau ${mid} between the two event times`);
  player.tick(20 + 2000);
  assert.equal(frames.at(-1).tau, 9);
  assert.equal(frames.at(-1).animating, false);
  player.tick(20 + 2100);
  assert.equal(player.fromSeq, 30);
});

test('moving back jumps; local playback walks step ends, then stops at the end', () => {
  const { store, player, frames } = rig('import');
  store.timeline.append(crash.events);
  store.seek(60);
  player.tick(0);
  store.seek(30);
  player.tick(5);
  assert.equal(frames.at(-1).tau, crash.events[29].time, 'jumped back');
  store.setLocalPlaying(true);
  let wall = 10;
  const seen = [];
  for (let i = 0; i < 400 && store.localPlaying; i += 1) {
    player.tick(wall);
    seen.push(store.playhead);
    wall += DWELL_MS;
  }
  assert.equal(store.localPlaying, false);
  assert.equal(store.playhead, crash.events.length);
  const stops = [...new Set(seen)];
  for (const seq of stops) {
    const e = store.timeline.event(seq);
    const next = store.timeline.event(seq + 1);
    assert.ok(!next || next.step !== e.step || seq === 30, `seq ${seq} ends a step`);
  }
});
