// The replicated-counter family's panels, pure parts (crdt-model.js), and its encoding tables.
//
// Fixtures are real traces of the simulator, cut to what the panels read (events, params,
// summary, verdicts):
//   crdt-crash-recover   g-counter, scenario crash-recover, seed 1, duration_ms 600: r1 crashes
//                        at seq 114, restarts empty at 216 (state 218); 7 counted, 9 acknowledged.
//   bft-too-many-liars   counter-bft, scenario too-many-liars, seed 0: r3 and r4 lie high; every
//                        client decides 15 against a true count of 9.
//   sharded-shard-down   counter-sharded, scenario shard-down, seed 1: s2 down from seq 143 to
//                        235; all three reads are partial, leaving s2 out.
// Regenerate with tests/protocols/crdt_helpers.run and the fields above.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  byNumber, vectorText, crdtValue, vectorTables, convergence, recentChanges, clientTotals, shardView, bftView,
  translator,
} from '../panels/crdt-model.js';
import { fromTrace } from '../timeline.js';
import { encodingFor } from '../protocols/index.js';
import { PALETTE } from '../protocols/palette.js';
import { messageLabel } from '../protocols/g-counter.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));
const crash = fixture('crdt-crash-recover');
const liars = fixture('bft-too-many-liars');
const shardDown = fixture('sharded-shard-down');

/** A tiny log builder: numbered events at given times. */
function log(...items) {
  return items.map(([time, kind, fields], i) => ({ seq: i + 1, time, step: i, kind, ...fields }));
}

const replicaState = (p, extra = {}) => ({ phase: 'serving', p, seen: {}, amnesia: false, dirty: false, ...extra });

// ------------------------------------------------------------------ basics

test('names sort by their number and vectors print in that order', () => {
  assert.deepEqual(['r10', 'r2', 'r1'].sort(byNumber), ['r1', 'r2', 'r10']);
  assert.equal(vectorText({ r2: 1, r10: 7, r1: 3 }), '3·1·7');
  assert.equal(vectorText({}), '');
});

test('a CRDT value is the sum of P minus the sum of N', () => {
  assert.equal(crdtValue({ p: { r1: 3, r2: 2 } }), 5);
  assert.equal(crdtValue({ p: { r1: 3, r2: 2 }, n: { r1: 1, r2: 3 } }), 1);
});

test('missing translations fall back to the English text with its placeholders filled', () => {
  const tr = translator((key) => (key === 'x.known' ? '已知 {n}' : key));
  assert.equal(tr('x.known', 'known {n}', { n: 2 }), '已知 {n}');
  assert.equal(tr('x.unknown', 'value {v} of {w}', { v: 1 }), 'value 1 of {w}');
  assert.equal(translator(null)('k', 'plain'), 'plain');
});

// ------------------------------------------------------------------ vectors

test('vector tables: one per replica, entries in name order, P (and N) rows, the value', () => {
  const timeline = fromTrace(crash);
  const tables = vectorTables(timeline.seek(timeline.lastSeq));
  assert.deepEqual(tables.map((t) => t.name), ['r1', 'r2', 'r3']);
  for (const t of tables) {
    assert.deepEqual(t.columns, ['r1', 'r2', 'r3']);
    assert.deepEqual(t.rows.map((r) => r.kind), ['p']);
    assert.equal(t.value, 7);
  }
  assert.equal(tables[0].amnesia, true, 'r1 restarted without its log');
  const pn = vectorTables({ nodes: [{ name: 'r1', role: 'replica', up: true, state: replicaState({ r1: 2, r2: 1 }, { n: { r1: 0, r2: 1 } }) }] });
  assert.deepEqual(pn[0].rows, [{ kind: 'p', cells: [2, 1] }, { kind: 'n', cells: [0, 1] }]);
  assert.equal(pn[0].value, 2);
});

test('the verdict: converged at the end of the run, apart while r1 has just restarted empty', () => {
  const timeline = fromTrace(crash);
  const end = convergence(timeline.seek(timeline.lastSeq));
  assert.deepEqual([end.converged, end.value, end.groups.length], [true, 7, 1]);
  const restarted = convergence(timeline.seek(218));
  assert.equal(restarted.converged, false);
  assert.ok(restarted.groups.some((g) => g.names.includes('r1') && g.value === 0));
  assert.ok(restarted.groups[0].names.length >= restarted.groups[restarted.groups.length - 1].names.length);
});

test('a crashed replica takes no part in the verdict', () => {
  const snapshot = { nodes: [
    { name: 'r1', role: 'replica', up: false, state: replicaState({ r1: 9 }) },
    { name: 'r2', role: 'replica', up: true, state: replicaState({ r1: 1 }) },
    { name: 'r3', role: 'replica', up: true, state: replicaState({ r1: 1, r3: 0 }) },
  ] };
  assert.deepEqual(convergence(snapshot), { converged: true, value: 1, groups: [{ names: ['r2', 'r3'], value: 1 }] });
});

test('recent changes light up merges, own operations and recoveries, only within the window', () => {
  const events = log(
    [0, 'start', { node: 'r1', role: 'replica' }],
    [0, 'state', { node: 'r1', cause: 'init', state: replicaState({ r1: 0, r2: 0 }) }],
    [10, 'state', { node: 'r1', cause: 'msg:add', state: replicaState({ r1: 1, r2: 0 }) }],
    [100, 'state', { node: 'r1', cause: 'msg:gossip', state: replicaState({ r1: 1, r2: 4 }) }],
    [120, 'state', { node: 'r1', cause: 'recover', state: replicaState({ r1: 0, r2: 0 }) }],
    [125, 'note', { node: 'r1', text: 'x' }],
  );
  assert.deepEqual(recentChanges(events, 3, 40), { r1: { 'p:r1': 'own' } });
  assert.deepEqual(recentChanges(events, 4, 40), { r1: { 'p:r2': 'merge' } }, 'the add at 10 ms is long past');
  assert.deepEqual(recentChanges(events, 6, 40), { r1: { 'p:r1': 'recover', 'p:r2': 'recover' } });
  assert.deepEqual(recentChanges(events, 2, 40), {}, 'a first state is no change');
  assert.deepEqual(recentChanges([], 0), {});
});

test('in the real run, a gossip delivery lights up the entry it taught', () => {
  const marks = recentChanges(crash.events, 94, 0);
  assert.deepEqual(marks.r2, { 'p:r1': 'merge' });
});

test('client totals add the acknowledged operations and list the reads', () => {
  const timeline = fromTrace(crash);
  const totals = clientTotals(timeline.seek(timeline.lastSeq));
  assert.deepEqual([totals.inc, totals.dec], [9, 0]);
  assert.deepEqual(totals.reads.map((r) => r.client), ['c1', 'c2', 'c3']);
  assert.ok(totals.reads.every((r) => r.phase === 'done' && typeof r.value === 'number'));
});

// ------------------------------------------------------------------ sharded

test('shard bars: counts, a crashed shard, the partial reads that leave it out', () => {
  const timeline = fromTrace(shardDown);
  const during = shardView(timeline.seek(200), shardDown.events, 200);
  assert.equal(during.shards.find((s) => s.name === 's2').up, false);
  assert.deepEqual(during.down, ['s2']);
  assert.equal(during.total, during.shards.filter((s) => s.name !== 's2').reduce((a, s) => a + s.count, 0),
    'a read can only reach the running shards');
  const end = shardView(timeline.seek(timeline.lastSeq), shardDown.events, timeline.lastSeq);
  assert.deepEqual(end.shards.map((s) => [s.name, s.count]), [['s1', 3], ['s2', 4], ['s3', 2]]);
  assert.deepEqual([end.total, end.acked, end.max, end.down], [9, 9, 4, []]);
  assert.equal(end.reads.length, 3);
  assert.ok(end.reads.every((r) => r.phase === 'done' && r.value === 5 && r.missing.join() === 's2'));
});

test('a shard that just counted an increment is hot, for a moment', () => {
  const events = log(
    [0, 'start', { node: 's1', role: 'shard' }],
    [10, 'state', { node: 's1', cause: 'msg:add', state: { phase: 'serving', count: 1, seen: {} } }],
    [90, 'note', { node: 's1', text: 'later' }],
  );
  const snapshot = { nodes: [{ name: 's1', role: 'shard', up: true, state: { phase: 'serving', count: 1 } }] };
  assert.equal(shardView(snapshot, events, 2).shards[0].hot, true);
  assert.equal(shardView(snapshot, events, 3).shards[0].hot, false);
});

// ---------------------------------------------------------------------- bft

test('the Byzantine picture: behaviours, what each stores and reports, the wrong decisions', () => {
  const view = bftView(liars.events, liars.events.length);
  assert.deepEqual([view.f, view.quorum, view.acked, view.issued], [1, 3, 9, 9]);
  assert.deepEqual(view.replicas.map((r) => r.behaviour), ['honest', 'honest', 'lie-high', 'lie-high']);
  assert.ok(view.replicas.every((r) => r.stored === 9));
  const r3 = view.replicas[2];
  assert.ok(Object.values(r3.reported).every((n) => n > 9), 'a high liar reports more than it stores');
  assert.deepEqual(view.reads.map((d) => d.client), ['c1', 'c2', 'c3']);
  for (const d of view.reads) {
    assert.ok(d.value === 15 && d.high === 9 && d.low <= d.high && !d.correct, JSON.stringify(d));  // the checker's bounds
  }
  const wrong = liars.events.filter((e) => e.kind === 'violation' && e.invariant === 'read-equals-true-count')
    .map((e) => e.cause_seq);
  assert.deepEqual(view.reads.map((d) => d.seq), wrong, 'the panel judges the reads the checker flagged');
});

test('a read is wrong when the checker says so, with the bounds its finding records', () => {
  const rule = { f: 1, quorum: 3, counts_at: 2 };
  const client = (phase, acked, read = null) => ({ node: 'c1', state: { phase, acked_inc: acked, read, ...rule } });
  const events = log(
    [0, 'start', { node: 'c1', role: 'client' }], [0, 'start', { node: 'r1', role: 'replica' }],
    [2, 'state', client('thinking', 1)], [3, 'state', client('reading', 1)], [5, 'state', client('done', 1, 3)],
  );
  const view = bftView(events, 5);
  assert.deepEqual([view.f, view.quorum, view.countsAt], [1, 3, 2], 'the rule as the clients record it');
  assert.deepEqual(view.reads.map((d) => [d.value, d.correct]), [[3, true]], 'no verdict against it: right');
  events.push({ seq: 6, time: 5, step: 5, kind: 'violation', invariant: 'read-equals-true-count', invariant_kind: 'history',
    nodes: ['c1'], cause_seq: 5, finding: { id: 'read-out-of-range', data: { node: 'c1', value: 3, low: 1, high: 2 } } });
  assert.deepEqual(bftView(events, 6).reads.map((d) => [d.correct, d.low, d.high]), [[false, 1, 2]]);
  assert.deepEqual(bftView(events, 4).reads, [], 'not yet decided at the playhead');
});

// ----------------------------------------------------------------- encoding

test('the four tables are registered, each with its own panel', () => {
  const panels = { 'g-counter': 'crdt-vectors', 'pn-counter': 'crdt-vectors', 'counter-sharded': 'sharded-bars',
    'counter-bft': 'bft-replicas' };
  for (const [name, panel] of Object.entries(panels)) {
    const enc = encodingFor(name);
    assert.equal(enc.known, true, name);
    assert.deepEqual(enc.panels.map((p) => p.id), [panel]);
    assert.equal(typeof enc.panels[0].create, 'function');
    assert.ok(enc.panels[0].labelKey && enc.panels[0].label);
    assert.equal(enc.roleOrder[0], 'client');
  }
});

test('every phase and message has an Okabe-Ito colour and a word', () => {
  const colours = new Set(Object.values(PALETTE));
  for (const name of ['g-counter', 'pn-counter', 'counter-sharded', 'counter-bft']) {
    const enc = encodingFor(name);
    for (const phase of ['thinking', 'adding', 'reading', 'done', 'stopped']) {
      assert.ok(colours.has(enc.phase(phase).colour), `${name} ${phase}`);
      assert.equal(enc.phase(phase).label, phase);
    }
    for (const type of ['add', 'add_ok', 'read', 'read_ok']) {
      assert.ok(colours.has(enc.message(type).colour) && enc.message(type).label, `${name} ${type}`);
    }
  }
  const bft = encodingFor('counter-bft');
  const behaviours = ['honest', 'lie-high', 'lie-low', 'equivocate', 'silent'];
  assert.equal(new Set(behaviours.map((b) => bft.phase(b).colour)).size, 5, 'each behaviour its own colour');
  assert.deepEqual(bft.phaseOrder('replica'), behaviours);
});

test('message labels say what travels: the operation, the answer, the vectors', () => {
  assert.equal(messageLabel({ type: 'add', body: { op: 2, delta: 1 } }), 'ADD +1 #2');
  assert.equal(messageLabel({ type: 'add', body: { op: 3, delta: -1 } }), 'ADD −1 #3');
  assert.equal(messageLabel({ type: 'add', body: { op: 1, tag: 'c1:1' } }), 'ADD c1:1');
  assert.equal(messageLabel({ type: 'add_ok', body: { op: 1, applied: false } }), 'OK #1 (again)');
  assert.equal(messageLabel({ type: 'read_ok', body: { value: 7 } }), 'VALUE 7');
  assert.equal(messageLabel({ type: 'read_ok', body: { count: 3 } }), 'SHARE 3');
  assert.equal(messageLabel({ type: 'read_ok', body: { tags: ['a', 'b'] } }), 'TAGS 2');
  assert.equal(messageLabel({ type: 'gossip', body: { p: { r2: 1, r1: 3 } } }), 'GOSSIP 3·1');
  assert.equal(messageLabel({ type: 'gossip_reply', body: { p: { r1: 3 }, n: { r1: 1 } } }), 'GOSSIP↩ +3 −1');
  assert.equal(encodingFor('pn-counter').messageLabel({ type: 'add', body: { op: 1, delta: -1 } }), 'ADD −1 #1');
});

test('the too-many-liars warning is the checker\'s finding in its words, and absent while the liars are within f', async () => {
  const { installFakeDom } = await import('./fake-dom.js');
  const { fromTrace } = await import('../timeline.js');
  const { bftReplicasPanel } = await import('../panels/bft-replicas.js');
  installFakeDom();
  const timeline = fromTrace(liars);
  const catalogue = { findings: { 'too-many-liars': '{liars} liars ({nodes}), more than f = {f}' } };
  const el = document.createElement('div');
  const view = bftReplicasPanel.create(el, { store: { timeline }, t: null, catalogue, encoding: null });
  view.update({ snapshot: timeline.seek(timeline.lastSeq) });
  assert.match(el.textContent, /⚠ 2 liars \(r3, r4\), more than f = 1/);
  const first = liars.events.find((e) => e.kind === 'violation' && e.invariant === 'liars-within-f').seq;
  const early = document.createElement('div');
  bftReplicasPanel.create(early, { store: { timeline }, t: null, catalogue, encoding: null })
    .update({ snapshot: timeline.seek(first - 1) });
  assert.doesNotMatch(early.textContent, /⚠/);
});
