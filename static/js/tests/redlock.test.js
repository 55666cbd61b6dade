// The Redis lock's panel on a real run (fixtures/redlock-clock-jump.json, regenerated with the others by
// tests/sim/test_browser_fixtures.py): each node's key and each client's attempt, as recorded, at every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { fromTrace } from '../timeline.js';
import { encodingFor } from '../protocols/index.js';
import { installFakeDom } from './fake-dom.js';

const trace = JSON.parse(readFileSync(new URL('./fixtures/redlock-clock-jump.json', import.meta.url)));

function drawAt(seq) {
  installFakeDom();
  const timeline = fromTrace(trace);
  const [panel] = encodingFor('redis-lock').panels;
  const el = document.createElement('div');
  panel.create(el, { store: { timeline }, t: null }).update({ snapshot: timeline.seek(seq) });
  return el.textContent;
}

/** The seq of the first event matching `test`. */
const first = (test) => trace.events.find(test).seq;

test('the panel is the first of redis-lock and draws every node and client', () => {
  assert.equal(encodingFor('redis-lock').panels[0].id, 'redlock-keys');
  const text = drawAt(trace.events.at(-1).seq);
  for (const name of ['r1', 'r2', 'r3', 'r4', 'r5', 'c1', 'c2']) assert.ok(text.includes(name), name);
});

test('while c1 holds r1, r2 and r3, the panel says so with the majority it recorded', () => {
  const holds = first((e) => e.kind === 'state' && e.node === 'c1' && e.state.phase === 'holding');
  const text = drawAt(holds);
  assert.equal((text.match(/key of c1/g) || []).length, 3, text);
  assert.match(text, /OK from r1, r2, r3|OK from r1, r3, r2|OK from r2, r1, r3/);
  assert.match(text, /needs 3/);
  assert.match(text, /valid until \d+ ms/);
});

test('after the jump and the heal c2 holds r3, r4 and r5 while c1 still holds: two holders drawn', () => {
  const twice = first((e) => e.kind === 'state' && e.node === 'c2' && e.state.phase === 'holding');
  const text = drawAt(twice);
  assert.equal((text.match(/key of c2/g) || []).length, 3, text);
  assert.equal((text.match(/valid until/g) || []).length, 2, text);
});

import { foldLog } from '../panels/define.js';
import { REDLOCK_HISTORY } from '../panels/redlock-timeline.js';

test('the keys over time: three of c1, then c2 takes r3, r4, r5 while c1 keeps r1 and r2; both writes applied', () => {
  const story = foldLog(REDLOCK_HISTORY, trace.events);
  const held = (client) => story.keys.filter((k) => k.client === client).map((k) => k.node).sort();
  assert.deepEqual(new Set(held('c1')), new Set(['r1', 'r2', 'r3']));
  assert.ok(['r3', 'r4', 'r5'].every((n) => held('c2').includes(n)), held('c2').join());
  const c2r3 = story.keys.find((k) => k.client === 'c2' && k.node === 'r3');
  const c1r1 = story.keys.find((k) => k.client === 'c1' && k.node === 'r1');
  assert.ok(c2r3.start < (c1r1.end ?? Infinity), 'two holders at once');
  assert.deepEqual(story.writes.map((w) => [w.by, w.accepted]), [['c1', true], ['c2', true]]);
});

test('the timeline draws every step of the run and the last frame shows both writes', () => {
  installFakeDom();
  const timeline = fromTrace(trace);
  const panel = encodingFor('redis-lock').panels.find((p) => p.id === 'redlock-timeline');
  const el = document.createElement('div');
  const view = panel.create(el, { store: { timeline }, t: null });
  for (let seq = 0; seq <= timeline.lastSeq; seq += 1) view.update({ snapshot: timeline.seek(seq) });
  assert.match(el.textContent, /Writes applied: 2 · refused: 0/);
});
