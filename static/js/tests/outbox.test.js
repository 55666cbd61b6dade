// The outbox's Orders panel on a small log written out here: one row per order the clients sent, the
// database's and the consumer's recorded states, and an anomaly only where the checker's violation names it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fromTrace } from '../timeline.js';
import { encodingFor } from '../protocols/index.js';
import { foldLog } from '../panels/define.js';
import { ORDER_BOOK } from '../panels/outbox-orders.js';
import { installFakeDom } from './fake-dom.js';

const ROLES = { c1: 'client', svc: 'service', db: 'database', relay: 'relay', broker: 'broker', consumer: 'consumer' };
const DB = (orders, outbox) => ({ phase: 'ready', orders, refused: [], outbox });
const CONSUMER = (applied) => ({ phase: 'ready', applied, dedup: [] });

/** A relay crash's story in a few events: c1.1 committed with its row, published twice, applied twice. */
function story() {
  const events = Object.entries(ROLES).map(([node, role]) => ({ kind: 'start', node, role }));
  events.push(
    { kind: 'send', node: 'c1', message: { type: 'order', src: 'c1', dest: 'svc', msg_id: 'm1', body: { order: 'c1.1' } } },
    { kind: 'state', node: 'db', cause: 'msg:commit', state: DB(['c1.1'], { 'c1.1': false }) },
    { kind: 'state', node: 'consumer', cause: 'msg:deliver', state: CONSUMER({ 'c1.1': 1 }) },
    { kind: 'state', node: 'consumer', cause: 'msg:deliver', state: CONSUMER({ 'c1.1': 2 }) },
    { kind: 'violation', invariant: 'duplicate-effect', invariant_kind: 'history', nodes: ['consumer'],
      finding: { id: 'applied-twice', data: { order: 'c1.1', times: 2 } } },
    { kind: 'state', node: 'db', cause: 'msg:mark', state: DB(['c1.1'], { 'c1.1': true }) },
  );
  return events.map((e, i) => ({ step: i, time: i * 10, ...e, seq: i + 1 }));
}

function drawAt(events, seq) {
  installFakeDom();
  const timeline = fromTrace({ protocol: 'transactional-outbox', params: {}, events });
  const [panel] = encodingFor('transactional-outbox').panels;
  const el = document.createElement('div');
  panel.create(el, { store: { timeline }, t: null }).update({ snapshot: timeline.seek(seq) });
  return el.textContent;
}

test('the Orders panel is the outbox\'s first and lists the orders the clients sent', () => {
  assert.equal(encodingFor('transactional-outbox').panels[0].id, 'outbox-orders');
  const events = story();
  assert.deepEqual(foldLog(ORDER_BOOK, events).orders, ['c1.1']);
  assert.match(drawAt(events, events.length), /c1\.1/);
});

test('before the second application no anomaly is shown; after the checker\'s violation it is', () => {
  const events = story();
  const once = events.find((e) => e.kind === 'state' && e.node === 'consumer').seq;
  const before = drawAt(events, once);
  assert.match(before, /×1/);
  assert.match(before, /not yet published/);
  assert.doesNotMatch(before, /duplicate effect/);
  const twice = events.find((e) => e.kind === 'state' && e.node === 'consumer' && e.state.applied['c1.1'] === 2).seq;
  assert.doesNotMatch(drawAt(events, twice), /duplicate effect/); // Counted twice, but the verdict is the checker's.
  const end = drawAt(events, events.length);
  assert.match(end, /×2/);
  assert.match(end, /⚠ duplicate effect/);
  assert.match(end, /published/);
});

test('a lost event is shown on every order the finding names', () => {
  const events = story().slice(0, 8).concat([{ kind: 'violation', invariant: 'lost-event', invariant_kind: 'liveness',
    nodes: ['db', 'consumer'], finding: { id: 'never-applied', data: { orders: ['c1.1'], count: 1 } } }])
    .map((e, i) => ({ ...e, seq: i + 1, step: i, time: i * 10 }));
  assert.deepEqual(foldLog(ORDER_BOOK, events).anomalies, { 'c1.1': ['lost-event'] });
});
