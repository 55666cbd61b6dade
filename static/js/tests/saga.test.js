// The saga timeline on recorded logs: one row per saga, steps as boxes, each compensation linked back to the
// step it undoes, a failed step marked, an email marked, and the checker's findings pinned where their
// cause_seq says and listed in the catalogue's words. It judges nothing itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { encodingFor } from '../protocols/index.js';
import { foldLog } from '../panels/define.js';
import { SAGA_TIMELINE } from '../panels/saga-timeline.js';
import { installFakeDom } from './fake-dom.js';

let seq = 0;
const persist = (node, time, record) => ({ seq: ++seq, time, kind: 'persist', node, record });

function dirtyRead() {
  seq = 0;
  return [
    persist('orch', 0, { type: 'saga-begin', saga: 'g1', steps: 2 }),
    persist('orch', 0, { type: 'saga-begin', saga: 'g2', steps: 2 }),
    persist('s1', 10, { type: 'apply', saga: 'g1', step: 1, key: 'stock', before: 100, after: 70 }),
    persist('s1', 12, { type: 'effect', saga: 'g1', step: 1, what: 'email' }),
    persist('s1', 20, { type: 'apply', saga: 'g2', step: 1, key: 'stock', before: 70, after: 40 }),
    persist('s2', 30, { type: 'fail', saga: 'g1', step: 2, key: 'stock', value: 100, reason: 'refused' }),
    persist('s1', 50, { type: 'compensate', saga: 'g1', step: 1, key: 'stock', before: 40, after: 100, mode: 'restore' }),
    { seq: ++seq, time: 50, kind: 'violation', invariant: 'saga-no-dirty-read', cause_seq: 7,
      finding: { id: 'dirty-read', data: { reader: 'g2', item: 's1.stock', value: 70, writer: 'g1', step: 'T1' } } },
    persist('orch', 60, { type: 'saga-end', saga: 'g1', outcome: 'compensated', steps: 2 }),
  ];
}

test('the fold links each compensation to the step it undoes and pins a finding on its cause', () => {
  const story = foldLog(SAGA_TIMELINE, dirtyRead());
  assert.deepEqual(story.order, ['g1', 'g2']);
  const comp = story.boxes.find((b) => b.kind === 'compensate');
  const undone = story.boxes.find((b) => b.id === comp.undoes);
  assert.deepEqual([undone.saga, undone.label, undone.node], ['g1', 'T1', 's1']);
  assert.deepEqual(comp.marks, [1]);
  assert.deepEqual(undone.effects, ['email']);
  assert.equal(story.boxes.find((b) => b.kind === 'fail').label, 'T2');
  assert.equal(story.rows.g1.outcome, 'compensated');
  assert.equal(story.rows.g2.outcome, null);
});

test('the panel is the saga\'s first, and draws the arrow back and the finding in the catalogue\'s words', () => {
  installFakeDom();
  const [panel] = encodingFor('saga-orchestrated').panels;
  assert.equal(panel.id, 'saga-timeline');
  const events = dirtyRead();
  const el = document.createElement('div');
  const story = foldLog(SAGA_TIMELINE, events);
  const catalogue = { findings: { 'dirty-read': '{reader} read {item} = {value}, written by {step} of {writer}' } };
  const ctx = { store: { timeline: { addIndex: () => ({ at: () => story }), lastTime: 60 } }, t: null, catalogue };
  panel.create(el, ctx).update({ snapshot: { seq: events.length, time: 60, nodes: [] } });
  const text = el.textContent;
  assert.match(text, /g2 read s1\.stock = 70, written by T1 of g1/);
  assert.match(text, /compensated: 1/);
  assert.match(text, /C1 s1/);
  assert.match(text, /✉ email/);
  assert.doesNotMatch(text, /dirty/i); // The words are the catalogue's, never the panel's.
});

test('an effect sent reads in the page\'s language: the catalogue\'s finding_words', () => {
  installFakeDom();
  const [panel] = encodingFor('saga-orchestrated').panels;
  const events = dirtyRead();
  const el = document.createElement('div');
  const story = foldLog(SAGA_TIMELINE, events);
  const catalogue = { findings: {}, finding_words: { email: '邮件' } };
  const ctx = { store: { timeline: { addIndex: () => ({ at: () => story }), lastTime: 60 } }, t: null, catalogue };
  panel.create(el, ctx).update({ snapshot: { seq: events.length, time: 60, nodes: [] } });
  assert.match(el.textContent, /✉ 邮件/);
  assert.doesNotMatch(el.textContent, /✉ email/);
});
