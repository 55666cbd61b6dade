// Panels as folds: a reducer folded through the timeline (timeline.addIndex) gives, at every seq,
// what a fold of the log from scratch gives; reading it at a late seq folds at most one checkpoint
// interval; and every panel, made with definePanel, draws every step of a real run from its folds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { CHECKPOINT_EVERY, Timeline, fromTrace } from '../timeline.js';
import { foldLog, sameKey } from '../panels/define.js';
import { COUNTER_HISTORY, LOCK_HISTORY } from '../panels/counters-model.js';
import { BFT_LOG } from '../panels/crdt-model.js';
import { CACHE_READS } from '../panels/cache-model.js';
import { CALLS, buildSpans } from '../panels/services-waterfall.js';
import { callsFold } from '../panels/services-rates.js';
import { encodingFor } from '../protocols/index.js';
import { bigLog } from './helpers.js';
import { installFakeDom } from './fake-dom.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));

/** [reducer name, reducer, fixture]: each fold the panels read, on a real log of its protocol. */
const FOLDS = [
  ['counter history', COUNTER_HISTORY, 'counters-naive-lost'],
  ['lock history', LOCK_HISTORY, 'locks-pause'],
  ['lock history (fenced)', LOCK_HISTORY, 'locks-pause-fenced'],
  ['Byzantine log', BFT_LOG, 'bft-too-many-liars'],
  ['cache reads', CACHE_READS, 'cache-stale-fill-race'],
  ['calls (waterfall)', CALLS, 'invocation-idempotent-retry'],
  ['calls (rates)', callsFold(), 'registry-provider-crash'],
];

/** Return `reducer` with its steps counted in `count.n`. */
function counted(reducer, count) {
  return { ...reducer, step: (acc, e, log) => { count.n += 1; return reducer.step(acc, e, log); } };
}

/** Return the seqs 0..last in a scrubbing order: forwards, a jump back, small steps, far jumps both ways. */
function scrubOrder(last) {
  const order = [];
  for (let s = 0; s <= last; s += 1) order.push(s);
  for (let s = last; s >= 0; s -= 7) order.push(s);
  for (let i = 0; i <= last; i += 1) order.push((i * 37) % (last + 1));
  return order;
}

for (const [name, reducer, trace] of FOLDS) {
  test(`${name}: the index at every seq equals a fold from scratch (${trace})`, () => {
    const { events } = fixture(trace);
    assert.ok(events.length > 40, 'a real log, long enough to cross checkpoints');
    const timeline = new Timeline({ checkpointEvery: 16 });
    const index = timeline.addIndex(reducer);
    timeline.append(events);
    for (const seq of scrubOrder(events.length)) {
      assert.deepEqual(index.at(seq), foldLog(reducer, events, seq), `${name} at seq ${seq}`);
    }
  });
}

test('an index added after the log arrived, or to a timeline that is reset, folds the right log', () => {
  const naive = fixture('counters-naive-lost');
  const timeline = fromTrace(naive, { checkpointEvery: 16 });
  const late = timeline.addIndex(COUNTER_HISTORY);
  assert.equal(timeline.addIndex(COUNTER_HISTORY), late, 'the same reducer shares one index');
  assert.deepEqual(late.at(50), foldLog(COUNTER_HISTORY, naive.events, 50));
  timeline.reset();
  assert.deepEqual(late.at(50), COUNTER_HISTORY.init(), 'a new run starts from nothing');
  const locks = fixture('locks-pause');
  timeline.append(locks.events);
  assert.deepEqual(late.at(locks.events.length), foldLog(COUNTER_HISTORY, locks.events, locks.events.length));
});

test('scrubbing to a late seq folds at most one checkpoint interval of events', () => {
  const events = bigLog(12_000);
  const count = { n: 0 };
  const reducer = counted({ init: () => ({ n: 0, kinds: {} }), step: (acc, e) => { acc.n += 1; acc.kinds[e.kind] = (acc.kinds[e.kind] || 0) + 1; return acc; } }, count);
  const timeline = new Timeline();
  const index = timeline.addIndex(reducer);
  timeline.append(events);
  assert.equal(count.n, events.length, 'appending folds each event once');
  const cost = (seq) => { count.n = 0; const value = index.at(seq); assert.equal(value.n, seq); return count.n; };
  assert.equal(cost(events.length), 0, 'the head is kept folded');
  for (const seq of [11_999, 9_001, 3_000, 10_240, 257, 11_000]) {
    assert.ok(cost(seq) <= CHECKPOINT_EVERY, `seq ${seq}: at most ${CHECKPOINT_EVERY} steps`);
  }
  assert.equal(cost(11_003), 3, 'a small step forward folds on from the last value');
  assert.equal(cost(11_003), 0, 'the same seq again costs nothing');
});

test('the same bound on a real log with a short interval, and the lock history it gives', () => {
  const pause = fixture('locks-pause');
  const count = { n: 0 };
  const timeline = new Timeline({ checkpointEvery: 8 });
  const index = timeline.addIndex(counted(LOCK_HISTORY, count));
  timeline.append(pause.events);
  for (const seq of scrubOrder(pause.events.length)) {
    count.n = 0;
    index.at(seq);
    assert.ok(count.n <= 8, `seq ${seq}: ${count.n} steps`);
  }
  const story = index.at(pause.events.length);
  assert.ok(story.leases.every((l) => ['released', 'expired', 'lock crashed', null].includes(l.how)));
  assert.ok(story.leases.some((l) => l.how === 'expired'), 'how a lease ended, as the lock recorded it');
});

test('a lease ends as the lock recorded it, whatever the cause of the state event', () => {
  const events = [
    { seq: 1, time: 0, step: 0, kind: 'start', node: 'lock', role: 'lock' },
    { seq: 2, time: 5, step: 1, kind: 'state', node: 'lock', cause: 'msg:acquire', state: { phase: 'held', leases: [{ client: 'c1', token: 1, until: 9 }] } },
    { seq: 3, time: 9, step: 2, kind: 'state', node: 'lock', cause: 'msg:release',
      state: { phase: 'free', leases: [], ended: { client: 'c1', token: 1, how: 'expired' } } },
  ];
  assert.equal(foldLog(LOCK_HISTORY, events).leases[0].how, 'expired');
});

test('a call\'s own events give the waterfall the whole log gives, at every seq', () => {
  const { events } = fixture('invocation-idempotent-retry');
  const roles = Object.fromEntries(events.filter((e) => e.kind === 'start').map((e) => [e.node, e.role]));
  const timeline = new Timeline({ checkpointEvery: 16 });
  const index = timeline.addIndex(CALLS);
  timeline.append(events);
  for (let seq = 0; seq <= events.length; seq += 3) {
    const acc = index.at(seq);
    const time = seq ? events[seq - 1].time : 0;
    for (const [id, own] of acc.byCall) {
      assert.deepEqual(buildSpans(own, id, roles, seq, time), buildSpans(events, id, roles, seq, time), `${id} at ${seq}`);
    }
  }
});

// ---------------------------------------------------------------- panels

/** [fixture, protocol]: a real run of every family with panels of its own. */
const RUNS = [
  ['counters-naive-lost', 'counter-naive'], ['locks-pause', 'lock-lease'], ['bft-too-many-liars', 'counter-bft'],
  ['sharded-shard-down', 'counter-sharded'], ['crdt-crash-recover', 'g-counter'], ['cache-stale-fill-race', 'cache-aside'],
  ['hashring-join-leave', 'consistent-hashing'], ['invocation-idempotent-retry', 'service-invocation'],
  ['mesh-idempotent-retry', 'service-mesh'], ['registry-provider-crash', 'service-registry'],
  ['mesi-broken-directory', 'mesi'],
];

test('every panel draws every step of a real run from its folds, and redraws only when its key changes', () => {
  installFakeDom();
  const seen = new Set();
  for (const [name, protocol] of RUNS) {
    const trace = fixture(name);
    const encoding = encodingFor(trace.protocol || protocol);
    assert.ok(encoding.panels.length, `${protocol} has panels`);
    const timeline = fromTrace(trace);
    const ctx = { store: { timeline }, encoding, catalogue: null, t: null };
    for (const panel of encoding.panels) {
      seen.add(panel.id);
      const el = document.createElement('div');
      const view = panel.create(el, ctx);
      for (let seq = 0; seq <= timeline.lastSeq; seq += 1) view.update({ snapshot: timeline.seek(seq) });
      assert.ok(el.textContent.length > 0, `${panel.id} drew something for ${name}`);
      const before = el.textContent;
      view.update({ snapshot: timeline.seek(timeline.lastSeq) });
      assert.equal(el.textContent, before, 'the same frame again changes nothing');
    }
  }
  assert.ok(seen.size >= 13, `every panel: ${[...seen].join(', ')}`);
});

test('a panel reads its fold through the timeline: a frame at a late seq costs at most one interval', () => {
  installFakeDom();
  const trace = fixture('locks-pause');
  const count = { n: 0 };
  const step = LOCK_HISTORY.step;
  LOCK_HISTORY.step = (acc, e, log) => { count.n += 1; return step(acc, e, log); };
  try {
    const timeline = new Timeline({ checkpointEvery: 8 });
    timeline.append(trace.events);
    const encoding = encodingFor('lock-lease');
    const panel = encoding.panels.find((p) => p.id === 'locks-timeline');
    const view = panel.create(document.createElement('div'), { store: { timeline }, encoding, catalogue: null, t: null });
    for (const seq of [trace.events.length - 1, 3, trace.events.length - 20, 40]) {
      count.n = 0;
      view.update({ snapshot: timeline.seek(seq) });
      assert.ok(count.n <= 8, `seq ${seq}: ${count.n} reducer steps`);
    }
  } finally {
    LOCK_HISTORY.step = step;
  }
});

test('redraw keys: equal values, or arrays of the same items', () => {
  const nodes = [{}, {}];
  assert.ok(sameKey([3, 4], [3, 4]));
  assert.ok(sameKey(nodes, [...nodes]));
  assert.ok(!sameKey([3, 4], [3, 5]));
  assert.ok(!sameKey(nodes, [{}, {}]));
  assert.ok(sameKey('a', 'a'));
});
