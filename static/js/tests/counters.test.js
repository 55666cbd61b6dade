// The counters and locks family's panels, pure parts: the counter's history, the lock's history,
// and the encoding tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  rolesOf, counterHistory, lockHistory, linear, stepPath, niceMax, translator,
} from '../panels/counters-model.js';
import { encodingFor } from '../protocols/index.js';
import { messageLabel } from '../protocols/counters-common.js';
import { PALETTE } from '../protocols/palette.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));
const naive = fixture('counters-naive-lost'); // 3 clients x 3 increments, seed 1: 9 acknowledged, value 5.
const pause = fixture('locks-pause'); // c1 paused after its lease check; its token-1 write lands late.
const fenced = fixture('locks-pause-fenced'); // the same, fenced: the store refuses token 1.

/** A tiny log builder: numbered events at given times. */
function log(...items) {
  return items.map(([time, kind, fields], i) => ({ seq: i + 1, time, step: i, kind, ...fields }));
}

const msg = (type, src, dest, body = {}) => ({ msg_id: `m${type}${src}`, src, dest, type, body });

// ------------------------------------------------------------------ counter

test('roles come from the start events', () => {
  assert.deepEqual(rolesOf(log([0, 'start', { node: 'c1', role: 'client' }], [0, 'start', { node: 'store', role: 'store' }])),
    { c1: 'client', store: 'store' });
});

test('the counter history steps with the store value, counts distinct acknowledgements and marks lost updates', () => {
  const events = log(
    [0, 'start', { node: 'c1', role: 'client' }],
    [0, 'start', { node: 'store', role: 'store' }],
    [0, 'state', { node: 'store', cause: 'init', state: { phase: 'serving', value: 0 } }],
    [0, 'state', { node: 'c1', cause: 'init', state: { phase: 'thinking', value: null } }],
    [10, 'deliver', { node: 'store', src: 'c1', dst: 'store', message: msg('write', 'c1', 'store', { value: 1, op: 'c1#1' }) }],
    [10, 'state', { node: 'store', cause: 'msg:write', state: { phase: 'serving', value: 1 } }],
    [20, 'deliver', { node: 'c1', src: 'store', dst: 'c1', message: msg('write_ok', 'store', 'c1', { op: 'c1#1' }) }],
    [21, 'deliver', { node: 'c1', src: 'store', dst: 'c1', message: msg('write_ok', 'store', 'c1', { op: 'c1#1' }) }],
    [30, 'deliver', { node: 'store', src: 'c2', dst: 'store', message: msg('write', 'c2', 'store', { value: 1, op: 'c2#1' }) }],
    [30, 'violation', { invariant: 'lost-update', invariant_kind: 'history', nodes: ['c1', 'c2'], finding: { id: 'lost-update', data: {} }, cause_seq: 9 }],
  );
  const all = counterHistory(events, 10);
  assert.deepEqual(all.stores, { store: [{ t: 0, v: 0 }, { t: 10, v: 1 }] }, 'a client\'s `value` is not the store\'s');
  assert.deepEqual(all.acked, [{ t: 0, v: 0 }, { t: 20, v: 1 }], 'a duplicated acknowledgement counts once');
  assert.deepEqual(all.lost, [{ t: 30, seq: 10, v: 1, node: 'store', finding: { id: 'lost-update', data: {} } }]);
  assert.equal(all.endTime, 30);
  const early = counterHistory(events, 6);
  assert.deepEqual(early.acked, [{ t: 0, v: 0 }]);
  assert.deepEqual(early.lost, []);
  assert.equal(early.endTime, 10, 'nothing after the playhead');
});

test('on a naive run the counter ends below the true count, with every lost update marked at its write', () => {
  const last = naive.events.length;
  const history = counterHistory(naive.events, last);
  const value = history.stores.store[history.stores.store.length - 1].v;
  assert.equal(value, naive.summary.final_values.store);
  assert.equal(history.acked[history.acked.length - 1].v, naive.summary.acknowledged_increments);
  assert.ok(history.lost.length >= naive.summary.lost_updates && history.lost.length > 0);
  for (const mark of history.lost) {
    const cause = naive.events.find((e) => e.seq === naive.events[mark.seq - 1].cause_seq);
    assert.equal(cause.message.type, 'write');
    assert.equal(mark.t, cause.time);
    assert.equal(mark.v, cause.message.body.value);
  }
});

// ------------------------------------------------------------------ lock

test('the lock history: leases from grant to release or expiry, beliefs, the store token and stale writes', () => {
  const lease = (client, token, until) => ({ phase: 'held', leases: [{ client, token, until }], last_token: token });
  const ended = (client, token, how) => ({ client, token, how }); // how the lock records a lease's end
  const events = log(
    [0, 'start', { node: 'c1', role: 'client' }],
    [0, 'start', { node: 'c2', role: 'client' }],
    [0, 'start', { node: 'lock', role: 'lock' }],
    [0, 'start', { node: 'store', role: 'store' }],
    [10, 'state', { node: 'lock', cause: 'msg:acquire', state: lease('c1', 1, 110) }],
    [15, 'state', { node: 'c1', cause: 'msg:grant', state: { phase: 'holding', token: 1 } }],
    [110, 'state', { node: 'lock', cause: 'timer:lease', state: { phase: 'free', leases: [], last_token: 1, ended: ended('c1', 1, 'expired') } }],
    [120, 'state', { node: 'lock', cause: 'msg:acquire', state: lease('c2', 2, 220) }],
    [130, 'state', { node: 'store', cause: 'msg:write', state: { phase: 'serving', content: ['c2#1'], max_token: 2 } }],
    [140, 'state', { node: 'lock', cause: 'msg:release', state: { phase: 'free', leases: [], last_token: 2, ended: ended('c2', 2, 'released') } }],
    [300, 'deliver', { node: 'store', src: 'c1', dst: 'store', message: msg('write', 'c1', 'store', { op: 'c1#1', token: 1 }) }],
    [300, 'violation', { invariant: 'stale-write-accepted', invariant_kind: 'history', nodes: ['c1', 'store'], text: 's', cause_seq: 11 }],
    [301, 'send', { node: 'store', src: 'store', dst: 'c1', due: 310,
      message: msg('error', 'store', 'c1', { code: 'stale_token', token: 1, max_token: 2 }) }],
    [320, 'state', { node: 'c1', cause: 'msg:write_ok', state: { phase: 'thinking', token: null } }],
  );
  const story = lockHistory(events, events.length);
  assert.deepEqual(story.clients, ['c1', 'c2']);
  assert.deepEqual(story.leases, [
    { token: 1, client: 'c1', start: 10, end: 110, how: 'expired' },
    { token: 2, client: 'c2', start: 120, end: 140, how: 'released' },
  ]);
  assert.deepEqual(story.beliefs, [{ client: 'c1', token: 1, start: 15, end: 320 }], 'c1 believed long after its lease');
  assert.deepEqual(story.storeTokens, [{ t: 130, v: 2 }]);
  assert.deepEqual(story.stale.map((w) => [w.t, w.client, w.token, w.status]),
    [[300, 'c1', 1, 'accepted'], [301, 'c1', 1, 'rejected']]);
  assert.equal(story.maxToken, 2);
  const before = lockHistory(events, 6);
  assert.deepEqual(before.leases, [{ token: 1, client: 'c1', start: 10, end: null, how: null }], 'still running');
  assert.equal(before.beliefs[0].end, null);
});

test('a lock crash ends the leases it held', () => {
  const events = log(
    [0, 'start', { node: 'lock', role: 'lock' }],
    [5, 'state', { node: 'lock', cause: 'msg:acquire', state: { phase: 'held', leases: [{ client: 'c1', token: 1, until: 9 }] } }],
    [7, 'crash', { node: 'lock', by: 'plan' }],
    [9, 'state', { node: 'lock', cause: 'recover', state: { phase: 'recovering', leases: [] } }],
  );
  assert.deepEqual(lockHistory(events, 4).leases, [{ token: 1, client: 'c1', start: 5, end: 7, how: 'lock crashed' }]);
});

test('a paused holder without fencing: its lease expired, it still believed, its write was accepted', () => {
  const story = lockHistory(pause.events, pause.events.length);
  const first = story.leases.find((l) => l.token === 1);
  assert.equal(first.client, 'c1');
  assert.equal(first.how, 'expired');
  const belief = story.beliefs.find((b) => b.client === 'c1' && b.token === 1);
  assert.ok(belief.end > first.end + 300, 'c1 believed for long after the lock expired its lease');
  assert.deepEqual(story.stale.map((w) => [w.client, w.token, w.status]), [['c1', 1, 'accepted']]);
  assert.equal(story.leases.length, pause.summary.grants);
  assert.equal(story.maxToken, pause.summary.max_token);
  assert.equal(story.storeTokens[story.storeTokens.length - 1].v, pause.summary.max_token);
});

test('the same pause with fencing: the stale write is rejected', () => {
  const story = lockHistory(fenced.events, fenced.events.length);
  assert.deepEqual(story.stale.map((w) => [w.client, w.token, w.status]), [['c1', 1, 'rejected']]);
  assert.ok(story.storeTokens.every((p, i) => i === 0 || p.v > story.storeTokens[i - 1].v), 'the store token only rises');
});

// ------------------------------------------------------------------ drawing helpers

test('a step path holds each level until the next change and stops at the playhead', () => {
  const x = linear([0, 100], [0, 100]);
  const y = linear([0, 10], [100, 0]);
  assert.equal(stepPath([{ t: 0, v: 0 }, { t: 20, v: 5 }, { t: 80, v: 2 }], x, y, 50),
    'M0.0,100.0H20.0V50.0H50.0');
  assert.equal(stepPath([], x, y, 50), '');
  assert.equal(linear([3, 3], [1, 9])(3), 1);
  assert.equal(niceMax(7, 4), 10);
  assert.equal(niceMax(0, 4), 5);
});

test('texts fall back to English with their values filled in', () => {
  const tr = translator((key) => (key === 'x.known' ? '已知 {n}' : key));
  assert.equal(tr('x.missing', 'lost {n}', { n: 3 }), 'lost 3');
  assert.equal(tr('x.known', 'known {n}'), '已知 {n}');
});

// ------------------------------------------------------------------ encoding tables

test('the three encoding tables are registered, with labelled colours and their panels', () => {
  for (const name of ['counter-naive', 'counter-locked', 'lock-lease']) {
    const enc = encodingFor(name);
    assert.equal(enc.known, true, name);
    assert.equal(enc.roleOrder[0], 'client');
    assert.ok(Object.values(PALETTE).includes(enc.phase('thinking').colour));
  }
  assert.deepEqual(encodingFor('counter-naive').panels.map((p) => p.id), ['counters-value']);
  assert.deepEqual(encodingFor('counter-locked').panels.map((p) => p.id), ['counters-value', 'locks-timeline']);
  assert.deepEqual(encodingFor('lock-lease').panels.map((p) => p.id), ['locks-timeline']);
  assert.equal(encodingFor('lock-lease').phase('committing').label, 'committing');
  assert.equal(encodingFor('lock-lease').message('error').colour, PALETTE.vermillion);
});

test('messages carry their value, operation or token', () => {
  assert.equal(messageLabel({ type: 'grant', body: { req: 1, token: 3, lease_ms: 100 } }), 'GRANT t3');
  assert.equal(messageLabel({ type: 'read_ok', body: { value: 4 } }), 'VALUE 4');
  assert.equal(messageLabel({ type: 'write', body: { value: 5, op: 'c1#2', token: 3 } }), 'WRITE 5 t3');
  assert.equal(messageLabel({ type: 'write', body: { op: 'c1#2', token: 3 } }), 'WRITE c1#2 t3');
  assert.equal(messageLabel({ type: 'write', body: { value: 5, op: 'c1#2' } }), 'WRITE 5');
  assert.equal(messageLabel({ type: 'error', body: { code: 'stale_token', token: 1, max_token: 2 } }), 'REFUSED t1 < t2');
  assert.equal(messageLabel({ type: 'busy', body: {} }), 'BUSY');
});
