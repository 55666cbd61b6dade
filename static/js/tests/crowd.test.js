// Drawing a crowd: bundles per link in the topology, arrows counted per addressee on the space-time
// diagram, badges only where they can be read, and seeks that keep unchanged nodes the same objects
// (the views skip them by identity).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { bundleMessages, splitThrough, arrowEndSeq, flyingMessages, BUNDLE_ABOVE, SINGLES_BELOW, THROUGH_MAX } from '../layout.js';
import { badgeFloor, circlesPath, bundleRadius, MAX_BADGES } from '../views/topology-bundles.js';
import { Timeline, fromTrace } from '../timeline.js';
import { bigLog } from './helpers.js';

const crash = JSON.parse(readFileSync(new URL('./fixtures/2pc-coordinator-crash.json', import.meta.url)));

const flying = (id, src, dst, progress, type = 'status_request', held = false) => ({ msg: { id, src, dst, type }, progress, held });

test('bundles: one per directed link, in order of first appearance, with count, mean progress and main type', () => {
  const bundles = bundleMessages([
    flying('m1', 'p1', 'p2', 0.2), flying('m2', 'p2', 'p1', 0.5), flying('m3', 'p1', 'p2', 0.6, 'status_reply'),
    flying('m4', 'p1', 'p2', 0.4, 'status_reply', true),
  ]);
  assert.deepEqual(bundles.map((b) => [b.key, b.count, b.ids]), [['p1>p2', 3, ['m1', 'm3', 'm4']], ['p2>p1', 1, ['m2']]]);
  assert.ok(Math.abs(bundles[0].progress - 0.4) < 1e-9, 'the mean progress');
  assert.equal(bundles[0].type, 'status_reply', 'the most frequent type');
  assert.equal(bundles[0].held, false, 'held only when every message is');
  assert.deepEqual(bundleMessages([]), []);
  assert.ok(SINGLES_BELOW < BUNDLE_ABOVE, 'apart, so the view does not flicker at the threshold');
});

test('badges go to the largest bundles only, never to a single message, at most MAX_BADGES of them', () => {
  assert.equal(badgeFloor([1, 1, 2, 3]), 2);
  const many = [...Array(65).fill(2), ...Array(10).fill(3), ...Array(5).fill(7), 1, 1];
  const floor = badgeFloor(many);
  assert.equal(floor, 3, 'the 65 bundles of two would be noise: only 3 and more');
  assert.ok(many.filter((n) => n >= floor).length <= MAX_BADGES);
  assert.ok(badgeFloor(Array(100).fill(5)) > 5, 'a tie at the cut leaves them all out');
  assert.ok(bundleRadius(1) < bundleRadius(2) && bundleRadius(2) < bundleRadius(50) && bundleRadius(1e6) <= 16);
});

test('circles become one path of closed arcs', () => {
  assert.equal(circlesPath([]), '');
  assert.equal(circlesPath([{ x: 10, y: 20, r: 5 }]), 'M5,20a5,5 0 1,0 10,0a5,5 0 1,0 -10,0');
});

test('arrows through the window: neither their send nor the event ending them in view', () => {
  const m = (id, sendSeq, endSeq) => ({ id, sendSeq, endSeq });
  const lastSeq = 200;
  // Playhead 100, window 80..120.
  assert.equal(arrowEndSeq(m('a', 10, null), 100, lastSeq), null, 'in flight: it stops at the playhead');
  assert.equal(arrowEndSeq(m('b', 10, 90), 100, lastSeq), 90);
  assert.equal(arrowEndSeq(m('c', 110, null), 100, lastSeq), lastSeq, 'a future message runs to the end of the log');
  const msgs = [m('sent-above-in-flight', 10, null), m('sent-above-ended-in-view', 10, 90), m('sent-in-view', 85, null),
    m('sent-above-ends-below', 10, 150), m('kept', 12, null)];
  const { local, through } = splitThrough(msgs, { lo: 80, hi: 120, seq: 100, lastSeq, keep: new Set(['kept']) });
  assert.deepEqual(local.map((x) => x.id), ['sent-above-ended-in-view', 'sent-in-view', 'kept']);
  assert.deepEqual(through.map((x) => x.id), ['sent-above-in-flight', 'sent-above-ends-below']);
  assert.ok(THROUGH_MAX >= 20, 'a classroom run never reaches it');
});

test('a classroom run never bundles: the 2PC crash trace stays under the thresholds at every seq', () => {
  const t = fromTrace(crash);
  for (let seq = 1; seq <= t.lastSeq; seq += 1) {
    const s = t.seek(seq);
    assert.ok(flyingMessages(s.inFlight, [], s.time).length <= BUNDLE_ABOVE, `seq ${seq}`);
    const window = t.messagesBetween(Math.max(1, seq - 30), seq + 5);
    const { through } = splitThrough(window, { lo: Math.max(1, seq - 30), hi: seq + 5, seq, lastSeq: t.lastSeq });
    assert.ok(through.length <= THROUGH_MAX, `seq ${seq}`);
  }
});

test('a step forward keeps the node objects it did not touch (views compare them by identity)', () => {
  const t = new Timeline({ checkpointEvery: 64 });
  t.append(bigLog(600));
  for (let seq = 100; seq < 600; seq += 1) {
    const before = t.seek(seq);
    const after = t.seek(seq + 1);
    const touched = t.event(seq + 1).node;
    for (const node of after.nodes) {
      if (node.name !== touched) assert.equal(after.nodeMap[node.name], before.nodeMap[node.name], `seq ${seq + 1}: ${node.name}`);
    }
  }
});

test('stepping forward while events arrive equals a fresh fold', () => {
  const log = bigLog(700);
  const live = new Timeline({ checkpointEvery: 50 });
  for (let i = 0; i < log.length; i += 7) {
    live.append(log.slice(i, i + 7));
    const seq = Math.max(0, live.lastSeq - 3);
    const fresh = new Timeline({ checkpointEvery: 1e9 });
    fresh.append(log.slice(0, seq));
    const a = live.seek(seq);
    const b = fresh.seek(seq);
    assert.deepEqual({ ...a, inFlight: a.inFlight.map((m) => m.id), event: a.event && a.event.seq },
      { ...b, inFlight: b.inFlight.map((m) => m.id), event: b.event && b.event.seq }, `seq ${seq}`);
  }
});
