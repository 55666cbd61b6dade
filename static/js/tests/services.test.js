// The services family's panels, pure parts: calls read off the log, rates per bucket, the catalogue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  defaultExtract, newAccumulator, extractCalls, chooseBucket, percentile, bucketize, totals, linear, linePath, niceMax,
} from '../panels/services-rates.js';
import {
  registriesOf, leaseOf, instanceRows, consumerViews, staleness, HEALTH,
} from '../panels/services-catalogue.js';
import { encodingFor } from '../protocols/index.js';
import { fromTrace } from '../timeline.js';

const crash = JSON.parse(readFileSync(new URL('./fixtures/registry-provider-crash.json', import.meta.url)));
// 2 providers, 1 consumer, p2 crashes at 300 ms and is evicted at 600 ms; the run ends at 1000 ms.

const lastCall = (node, seq, time, call) => ({ seq, time, kind: 'state', node, state: { phase: 'ready', last_call: call } });

// ------------------------------------------------------------------ rates

test('a call ends each time a node\'s last_call changes; repeats and other state changes are not calls', () => {
  const memory = new Map();
  const a = { n: 1, to: 'p1', ok: true, ms: 20, at: 100 };
  assert.deepEqual(defaultExtract(lastCall('u1', 1, 120, a), memory), { node: 'u1', ok: true, ms: 20, to: 'p1' });
  assert.equal(defaultExtract(lastCall('u1', 2, 130, a), memory), null, 'the same last_call again (another field changed)');
  assert.equal(defaultExtract(lastCall('u2', 3, 130, null), memory), null);
  const none = { n: 2, to: null, ok: false, ms: 0, at: 140, error: 'no instance' };
  assert.deepEqual(defaultExtract(lastCall('u1', 4, 140, none), memory), { node: 'u1', ok: false, ms: null, to: null });
  assert.equal(defaultExtract({ seq: 5, time: 150, kind: 'state', node: 'p1', state: { phase: 'up', inc: 1 } }, memory), null);
});

test('a persisted call record (the invocation and mesh shape) is a call too', () => {
  const event = { seq: 9, time: 300, kind: 'persist', node: 'u1', record: { type: 'call', ok: false, latency_ms: 80, call: 'u1:3' } };
  assert.deepEqual(defaultExtract(event, new Map()), { node: 'u1', ok: false, ms: 80 });
  assert.equal(defaultExtract({ ...event, record: { type: 'incarnation', inc: 2 } }, new Map()), null);
});

test('calls are gathered incrementally from a growing log, each once', () => {
  const whole = extractCalls(crash.events, newAccumulator());
  const half = extractCalls(crash.events.slice(0, 120), newAccumulator());
  extractCalls(crash.events, half);
  assert.deepEqual(half.calls, whole.calls);
  assert.equal(whole.calls.length, crash.summary.calls);
  assert.equal(whole.calls.filter((c) => !c.ok).length, crash.summary.failures);
  assert.ok(whole.calls.every((c, i) => i === 0 || c.seq > whole.calls[i - 1].seq));
});

test('a custom extractor reads another protocol\'s shape', () => {
  const acc = newAccumulator((e) => (e.kind === 'deliver' && e.message.type === 'reply' ? { ok: true, ms: 5 } : null));
  extractCalls([{ seq: 1, time: 3, kind: 'deliver', message: { type: 'reply' } }, { seq: 2, time: 4, kind: 'note' }], acc);
  assert.deepEqual(acc.calls, [{ seq: 1, time: 3, ok: true, ms: 5 }]);
});

test('buckets are round widths giving about thirty points', () => {
  assert.equal(chooseBucket(1000), 50);
  assert.equal(chooseBucket(2000), 100);
  assert.equal(chooseBucket(2500), 100);
  assert.equal(chooseBucket(100), 10, 'never below 10 ms');
  assert.equal(chooseBucket(60_000), 2000);
});

test('nearest-rank percentiles', () => {
  assert.equal(percentile([], 0.5), null);
  assert.equal(percentile([30, 10, 20], 0.5), 20);
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99), 99);
});

test('bucketize counts calls up to the playhead and leaves later buckets out', () => {
  const calls = [
    { seq: 1, time: 10, ok: true, ms: 20 }, { seq: 2, time: 40, ok: false, ms: 100 },
    { seq: 3, time: 120, ok: true, ms: 30 }, { seq: 9, time: 130, ok: false, ms: null },
  ];
  const buckets = bucketize(calls, { upToSeq: 3, nowTime: 149, bucketMs: 50 });
  assert.equal(buckets.length, 3);
  assert.deepEqual(buckets.map((b) => [b.t0, b.calls, b.failures]), [[0, 2, 1], [50, 0, 0], [100, 1, 0]]);
  assert.equal(buckets[0].rate, 40, '2 calls in 50 ms is 40 per second');
  assert.equal(buckets[0].errorRate, 0.5);
  assert.equal(buckets[1].errorRate, null, 'no calls: no error rate, not zero');
  assert.equal(buckets[1].rate, 0, 'but a rate of zero');
  const early = bucketize(calls, { upToSeq: 3, nowTime: 110, bucketMs: 50 });
  assert.equal(early[2].rate, null, 'the playhead\'s bucket is 11 ms old: too young for a rate');
  assert.equal(bucketize(calls, { upToSeq: 3, nowTime: 129, bucketMs: 50 })[2].rate, 1000 / 30);
  assert.equal(buckets[0].p99, 100);
  assert.deepEqual(totals(calls, 9), { calls: 4, failures: 2, errorRate: 0.5 });
  assert.deepEqual(totals(calls, 0), { calls: 0, failures: 0, errorRate: null });
});

test('from the crash fixture: no failure before the crash, failures after it', () => {
  const { calls } = extractCalls(crash.events, newAccumulator());
  const crashSeq = crash.events.find((e) => e.kind === 'crash').seq;
  assert.equal(totals(calls, crashSeq).failures, 0);
  assert.ok(totals(calls, crash.events.length).failures >= 1);
});

test('line paths skip gaps, scales map domains, axes end on round numbers', () => {
  const x = linear([0, 100], [0, 200]);
  const y = linear([0, 10], [100, 0]);
  assert.equal(x(50), 100);
  assert.equal(y(10), 0);
  assert.equal(linear([5, 5], [3, 9])(5), 3);
  const d = linePath([{ x: 0, y: 0 }, { x: 50, y: 5 }, { x: 60, y: null }, { x: 100, y: 10 }], x, y);
  assert.equal(d, 'M0.0,100.0L100.0,50.0M200.0,0.0');
  assert.equal(niceMax(37), 50);
  assert.equal(niceMax(0, 10), 10);
  assert.equal(niceMax(180), 200);
});

// -------------------------------------------------------------- catalogue

const timeline = fromTrace(crash);
const seqOf = (pred) => crash.events.find(pred).seq;
const crashSeq = seqOf((e) => e.kind === 'crash');
const evictSeq = seqOf((e) => e.kind === 'note' && e.node === 'registry' && e.text.startsWith('evict p2#1'));

test('the registry and the lease it records (the panel derives nothing from the parameters)', () => {
  const snap = timeline.seek(crash.events.length);
  assert.deepEqual(registriesOf(snap), ['registry']);
  assert.equal(leaseOf(snap, 'registry'), 300, 'recorded by the registry: heartbeat_ms x missed_beats');
  assert.equal(leaseOf(timeline.seek(0), 'registry'), null, 'before its first state: unknown');
  assert.deepEqual(snap.nodeMap.registry.durable, [{ type: 'boot', boot: 1 }], 'the boot record only counts lives');
  assert.equal(snap.nodeMap.u1.state.home, 'registry', 'each consumer records the replica it asks');
});

test('right after the crash the registry still believes p2 is UP: the row says so', () => {
  const rows = instanceRows(timeline.seek(crashSeq), 'registry');
  const p2 = rows.find((r) => r.name === 'p2');
  assert.equal(p2.health, 'UP');
  assert.equal(p2.process, 'crashed');
  assert.equal(p2.believedAlive, true);
  assert.equal(p2.inc, 1);
  assert.ok(p2.beatAt >= 0, 'its last renewal, as the registry recorded it');
  assert.equal(rows.find((r) => r.name === 'p1').believedAlive, false);
});

test('after the sweep p2 is EVICTED with its incarnation kept; p1 stays UP', () => {
  const rows = instanceRows(timeline.seek(evictSeq), 'registry');
  assert.deepEqual(rows.map((r) => [r.name, r.health, r.inc, r.weight]), [['p1', 'UP', 1, 1], ['p2', 'EVICTED', 1, null]]);
  assert.equal(rows[1].beatAt, null);
});

test('an entry a preserving sweep kept shows DOWN (its recorded overdue); a newer process incarnation shows', () => {
  const snap = {
    time: 1000,
    nodes: [
      { name: 'registry', role: 'registry', up: true, state: { lease_ms: 300, instances: { p1: { inc: 1, weight: 2, renew: 600, expires: 900, overdue: true }, p2: { inc: 3, weight: 1, renew: 990, expires: 1290 } }, evicted: {} },
        durable: [{ type: 'boot', boot: 1 }] },
      { name: 'p1', role: 'provider', up: true, paused: true, state: { inc: 1 } },
      { name: 'p2', role: 'provider', up: true, paused: false, state: { inc: 4 } },
      { name: 'p3', role: 'provider', up: true, paused: false, state: { inc: 1 } },
    ],
  };
  snap.nodeMap = Object.fromEntries(snap.nodes.map((n) => [n.name, n]));
  const rows = instanceRows(snap, 'registry');
  assert.deepEqual(rows.map((r) => r.health), ['DOWN', 'UP', 'NONE']);
  assert.equal(rows[0].process, 'paused');
  assert.equal(rows[1].newerProcess, true);
  delete snap.nodeMap.registry.state.instances.p1.overdue; // renewed: the registry cleared it
  assert.deepEqual(instanceRows(snap, 'registry').map((r) => r.health), ['UP', 'UP', 'NONE'], 'renewed');
  snap.time = 5000; // the playhead's clock decides nothing: a lease past its expiry is UP until a sweep says not
  assert.deepEqual(instanceRows(snap, 'registry').map((r) => r.health), ['UP', 'UP', 'NONE'], 'no clock compared');
  assert.ok(Object.keys(HEALTH).every((k) => HEALTH[k].symbol && HEALTH[k].label), 'every colour has a word');
});

test('the consumer\'s cache keeps the dead p2 until its next refresh, and says why it is stale', () => {
  const [before] = consumerViews(timeline.seek(crashSeq - 1));
  assert.deepEqual(before.entries.map((e) => [e.name, e.stale]), [['p1', null], ['p2', null]]);
  const [after] = consumerViews(timeline.seek(crashSeq));
  assert.deepEqual(after.entries.find((e) => e.name === 'p2').stale, { why: 'crashed' });
  assert.equal(after.stale, 1);
  assert.equal(after.home, 'registry');
  const [end] = consumerViews(timeline.seek(crash.events.length));
  assert.deepEqual(end.entries.map((e) => e.name), ['p1'], 'refreshed after the eviction: p2 is gone');
  assert.ok(end.refreshedAt >= 0, 'when the consumer refreshed, by its clock');
});

test('staleness: evicted, replaced by a newer incarnation, or fine', () => {
  const alive = { up: true, paused: false };
  assert.deepEqual(staleness(alive, undefined, 1), { why: 'evicted' });
  assert.deepEqual(staleness(alive, { inc: 2 }, 1), { why: 'newer', inc: 2 });
  assert.equal(staleness(alive, { inc: 1 }, 1), null);
  assert.deepEqual(staleness({ up: true, paused: true }, { inc: 1 }, 1), { why: 'paused' });
});

// --------------------------------------------------------------- encoding

test('the service registry encoding: phases, labels with incarnations and versions, its two panels', () => {
  const enc = encodingFor('service-registry');
  assert.equal(enc.known, true);
  assert.deepEqual(enc.roleOrder, ['registry', 'provider', 'consumer']);
  assert.notEqual(enc.phase('preserving').colour, enc.phase('serving').colour);
  assert.equal(enc.phase('preserving').label, 'self-preservation');
  assert.equal(enc.messageLabel({ type: 'heartbeat', body: { inc: 2, weight: 1 } }), 'HEARTBEAT #2');
  assert.equal(enc.messageLabel({ type: 'unknown_instance', body: { inc: 1 } }), 'UNKNOWN #1');
  assert.equal(enc.messageLabel({ type: 'instances', body: { version: 4, instances: { p1: {}, p3: {} } } }), 'INSTANCES v4 (2)');
  assert.equal(enc.messageLabel({ type: 'replicate', body: { op: 'heartbeat', name: 'p1', inc: 1 } }), 'REPLICATE heartbeat p1#1');
  assert.equal(enc.messageLabel({ type: 'call', body: { n: 7 } }), 'CALL 7');
  assert.deepEqual(enc.panels.map((p) => p.id), ['services-catalogue', 'services-rates']);
  assert.ok(enc.panels.every((p) => p.labelKey && p.label && typeof p.create === 'function'));
});
