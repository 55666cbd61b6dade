// The choreographed saga's encoding table: the saga timeline is its panel, drawing the services' own records
// (no orchestrator: the saga's begin and its end come from s1 and the last service), and a publish or a
// delivery is labelled with the event it carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { encodingFor } from '../protocols/index.js';
import { foldLog } from '../panels/define.js';
import { SAGA_TIMELINE } from '../panels/saga-timeline.js';

let seq = 0;
const persist = (node, time, record) => ({ seq: ++seq, time, kind: 'persist', node, record });

/** A step refused at s2 and compensated at s1 by events, while g2 waits at s1 on the semantic lock. */
function compensatedByEvents() {
  seq = 0;
  return [
    persist('s1', 0, { type: 'saga-begin', saga: 'g1', steps: 2 }),
    persist('s1', 0, { type: 'apply', saga: 'g1', step: 1, key: 'booked', before: 100, after: 110, lock: true,
      in: null, out: 'g1.done.s1' }),
    persist('s1', 30, { type: 'wait', saga: 'g2', step: 1, key: 'booked', holder: 'g1' }),
    persist('s2', 40, { type: 'fail', saga: 'g1', step: 2, key: 'booked', value: 100, reason: 'refused',
      in: 'g1.done.s1', out: 'g1.failed.s2' }),
    persist('s1', 70, { type: 'compensate', saga: 'g1', step: 1, key: 'booked', before: 110, after: 100,
      mode: 'restore', in: 'g1.failed.s2', out: null }),
    persist('s1', 70, { type: 'saga-end', saga: 'g1', outcome: 'compensated', steps: 2 }),
  ];
}

test('the panel is the saga timeline, fed by the services\' records alone', () => {
  const enc = encodingFor('saga-choreographed');
  assert.equal(enc.known, true);
  assert.deepEqual(enc.panels.map((p) => p.id), ['saga-timeline']);
  const story = foldLog(SAGA_TIMELINE, compensatedByEvents());
  assert.deepEqual(story.order, ['g1', 'g2']);
  const comp = story.boxes.find((b) => b.kind === 'compensate');
  const undone = story.boxes.find((b) => b.id === comp.undoes);
  assert.deepEqual([undone.saga, undone.label, undone.node], ['g1', 'T1', 's1']);
  assert.deepEqual(story.boxes.filter((b) => b.kind === 'wait').map((b) => [b.saga, b.node]), [['g2', 's1']]);
  assert.equal(story.rows.g1.outcome, 'compensated');
});

test('a publish and a delivery name the event they carry; answers do not', () => {
  const enc = encodingFor('saga-choreographed');
  assert.equal(enc.messageLabel({ type: 'publish', body: { id: 'g1.done.s1' } }), 'PUBLISH g1.done.s1');
  assert.equal(enc.messageLabel({ type: 'deliver', body: { delivery: 3, id: 'g1.failed.s2' } }),
    'EVENT g1.failed.s2');
  assert.equal(enc.messageLabel({ type: 'ack', body: { delivery: 3 } }), 'ACK');
  assert.notEqual(enc.phase('publishing').colour, enc.phase('idle').colour);
});
