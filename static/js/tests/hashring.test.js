// The ring panel's pure logic reads the router's logged drawing and nothing else: a recorded run
// (fixtures/hashring-join-leave.json: 12 keys, 6 virtual nodes, cache5 joins at 60 ms and cache2
// leaves at 160 ms; tests/protocols/test_coherence_hashring_runs.py checks it is what the engine
// produces) is folded into a timeline and the panel's model is read at several seqs, backwards too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  ringView, ringPoints, placedKeys, sharePercent, isCached, movedText, onCircle, labelPlaces, angleOf,
} from '../panels/hashring-model.js';
import { fromTrace } from '../timeline.js';
import { encodingFor } from '../protocols/index.js';

const trace = JSON.parse(readFileSync(new URL('./fixtures/hashring-join-leave.json', import.meta.url)));
const ringStates = trace.events.filter((e) => e.kind === 'state' && e.node === 'ring');
const [boot, join, leave] = ringStates.map((e) => e.seq);

test('the recorded run logs the ring at boot, at the join and at the leave', () => {
  assert.deepEqual(ringStates.map((e) => [e.cause, e.state.version]), [['init', 1], ['timer:join', 2], ['timer:leave', 3]]);
  assert.ok(ringStates.every((e) => e.state.drawing), 'every ring state carries its drawing');
});

test('before the ring has logged anything there is nothing to draw', () => {
  const timeline = fromTrace(trace);
  assert.equal(ringView(timeline.seek(boot - 1)), null);
  assert.equal(ringView({ nodes: [], nodeMap: {} }), null);
  assert.equal(ringView({ nodes: [], nodeMap: { ring: { state: { phase: 'routing', members: [] } } } }), null,
    'a ring state without a drawing (an older trace) draws nothing rather than guessing');
});

test('at boot: the initial members, every virtual point, every key and no move', () => {
  const view = ringView(fromTrace(trace).seek(boot));
  assert.deepEqual(view.members, ['cache1', 'cache2', 'cache3', 'cache4']);
  assert.deepEqual([view.version, view.vnodes, view.keys, view.placement], [1, 6, 12, 'ring']);
  assert.equal(view.last, null);
  const points = ringPoints(view.drawing);
  assert.equal(points.length, 4 * 6);
  assert.deepEqual([...new Set(points.map((p) => p.node))], view.members);
  assert.ok(points.every((p) => p.angle >= 0 && p.angle < 2 * Math.PI));
  const dots = placedKeys(view);
  assert.deepEqual(dots.map((d) => d.key), Array.from({ length: 12 }, (_, i) => `k${i}`));
  assert.ok(dots.every((d) => !d.moved && d.was === null));
  assert.equal(sharePercent(view, 'cache5'), null, 'a standby cache has no share');
  const total = view.members.reduce((sum, node) => sum + sharePercent(view, node), 0);
  assert.ok(Math.abs(total - 100) < 1e-9, `shares add up to ${total}`);
});

test('after the join: cache5 has points, the keys it took are moved from their old owner', () => {
  const view = ringView(fromTrace(trace).seek(join));
  assert.equal(view.version, 2);
  assert.equal(view.last.op, 'add');
  assert.equal(view.last.node, 'cache5');
  assert.equal(ringPoints(view.drawing).filter((p) => p.node === 'cache5').length, 6);
  const moved = placedKeys(view).filter((d) => d.moved);
  assert.equal(moved.length, view.last.moved_ring, 'every key is drawn, so every moved key is ringed');
  assert.ok(moved.length > 0 && moved.every((d) => d.owner === 'cache5' && d.was !== 'cache5'));
  assert.equal(movedText(view.last), `moved: ring ${view.last.moved_ring} vs modulo ${view.last.moved_modulo}`);
});

test('after the leave: cache2 is gone and only its keys moved; seeking back shows the join again', () => {
  const timeline = fromTrace(trace);
  const after = ringView(timeline.seek(leave));
  assert.ok(!after.members.includes('cache2') && !('cache2' in after.drawing.points));
  const moved = placedKeys(after).filter((d) => d.moved);
  assert.ok(moved.length > 0 && moved.every((d) => d.was === 'cache2' && d.owner !== 'cache2'));
  assert.deepEqual(after.totals, {
    ring: after.changes.reduce((t, c) => t + c.moved_ring, 0), modulo: after.changes.reduce((t, c) => t + c.moved_modulo, 0),
  });
  const back = ringView(timeline.seek(join)); // history: from the end back to the join
  assert.equal(back.version, 2);
  assert.ok(placedKeys(back).filter((d) => d.moved).every((d) => d.owner === 'cache5'));
  assert.equal(ringView(timeline.seek(boot)).last, null);
});

test('a dot is filled when its owner holds the key at that seq', () => {
  const timeline = fromTrace(trace);
  const last = ringView(timeline.seek(timeline.lastSeq));
  const held = placedKeys(last).filter((d) => isCached(d, last.cached));
  assert.ok(held.length > 0, 'the run ends with some keys cached');
  for (const dot of held) assert.ok(dot.key in last.cached[dot.owner]);
  assert.equal(isCached({ key: 'k0', owner: null }, last.cached), false);
});

test('geometry: a fraction of a turn, clockwise from twelve o\'clock; each node named once, apart', () => {
  assert.equal(angleOf(0.25), Math.PI / 2);
  const [x, y] = onCircle(100, 100, 10, angleOf(0.25));
  assert.ok(Math.abs(x - 110) < 1e-9 && Math.abs(y - 100) < 1e-9);
  const view = ringView(fromTrace(trace).seek(join));
  const places = labelPlaces(ringPoints(view.drawing));
  assert.deepEqual(places.map((p) => p.node), view.members);
  for (const p of places) {
    assert.ok(ringPoints(view.drawing).some((q) => q.node === p.node && q.angle === p.angle), 'at one of its points');
  }
  assert.equal(movedText({ moved_ring: 2278, moved_modulo: 8040 }), 'moved: ring 2,278 vs modulo 8,040');
});

test('the encoding table registers the ring panel and labels messages with their key', () => {
  const enc = encodingFor('consistent-hashing');
  assert.equal(enc.known, true);
  assert.deepEqual(enc.panels.map((p) => p.id), ['hashring-ring']);
  assert.equal(enc.messageLabel({ type: 'get', body: { key: 'k3' } }), 'GET k3');
  assert.equal(enc.messageLabel({ type: 'read_ok', body: { key: 'k3', hit: true } }), 'HIT k3');
  assert.equal(enc.messageLabel({ type: 'view', body: { view: 2 } }), 'VIEW v2');
  assert.notEqual(enc.phase('member').colour, enc.phase('standby').colour);
});
