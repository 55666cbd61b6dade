// Paxos Commit's acceptor grid on a real run (fixtures/paxos-leader-and-participant-crash.json, regenerated
// with the others by tests/sim/test_browser_fixtures.py): each instance at each acceptor, as recorded, and
// what each leader learned, at every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { fromTrace } from '../timeline.js';
import { encodingFor } from '../protocols/index.js';
import { installFakeDom } from './fake-dom.js';

const run = JSON.parse(readFileSync(new URL('./fixtures/paxos-leader-and-participant-crash.json', import.meta.url)));
const seqOf = (match) => run.events.find(match).seq;
const END = run.events.at(-1).seq;

/** Draw the grid at each of `seqs` with one panel view; return the text each frame left. */
function texts(...seqs) {
  installFakeDom();
  const timeline = fromTrace(run);
  const el = document.createElement('div');
  const view = encodingFor('paxos-commit').panels[0].create(el, { store: { timeline }, t: null });
  return seqs.map((seq) => { view.update({ snapshot: timeline.seek(seq) }); return el.textContent; });
}

test('the grid is paxos-commit\'s first panel and names every acceptor, instance and leader', () => {
  assert.equal(encodingFor('paxos-commit').panels[0].id, 'paxos-acceptors');
  const [text] = texts(END);
  for (const word of ['a1', 'a2', 'a3', 'p1', 'p2', 'p3', 'leader learned', 'backup learned']) assert.ok(text.includes(word), word);
});

test('before the backup\'s ballot the votes sit at ballot 0 and p3\'s instance is empty', () => {
  const [text] = texts(seqOf((e) => e.kind === 'send' && e.src === 'backup' && e.message.type === 'p1a'));
  assert.match(text, /prepared · ballot 0/);
  assert.doesNotMatch(text, /aborted · ballot 2/);
});

test('at the end ballot 2 closed p3\'s instance with aborted, and the backup learned it as chosen', () => {
  const [text] = texts(END);
  assert.match(text, /aborted · ballot 2/);
  assert.match(text, /promised 2/);
});

test('every step draws, and the same frame twice draws the same', () => {
  const every = texts(...Array.from({ length: END + 1 }, (_, seq) => seq), END);
  assert.ok(every.every((text) => text.length > 0));
  assert.equal(every.at(-1), every.at(-2));
});

// With two of three acceptors down (fixtures/paxos-too-many-acceptors-down.json) the grid says why the
// resource managers wait: the checker's blocked-without-quorum finding, in the catalogue's words.
const blockedRun = JSON.parse(readFileSync(new URL('./fixtures/paxos-too-many-acceptors-down.json', import.meta.url)));
const CATALOGUE = { findings: { 'blocked-without-quorum':
  '{node} is prepared and waits: {up} of {acceptors} acceptors are up, {needed} are needed for any value to be chosen' } };

function blockedText(seq) {
  installFakeDom();
  const timeline = fromTrace(blockedRun);
  const el = document.createElement('div');
  const view = encodingFor('paxos-commit').panels[0].create(el, { store: { timeline }, t: null, catalogue: CATALOGUE });
  view.update({ snapshot: timeline.seek(seq) });
  const [why] = el.findAll((c) => c.classList.contains('paxos-blocked'));
  return { all: el.textContent, why: why.textContent, lines: why.childNodes.length };
}

test('with two acceptors down the grid says why each prepared resource manager waits, in the checker\'s words', () => {
  const first = blockedRun.events.find((e) => e.kind === 'violation' && e.invariant === 'blocked-without-quorum').seq;
  assert.equal(blockedText(first - 1).why, '');
  const end = blockedText(blockedRun.events.at(-1).seq);
  assert.equal(end.why, '⚠ Blocked: p1 is prepared and waits: 1 of 3 acceptors are up, 2 are needed for any value '
    + 'to be chosenWaiting for the same reason: p3, p2'); // one sentence, the others by name (in the order found)
  assert.equal(end.all.match(/crashed/g).length, 6, 'a1 and a2 drawn down in every instance'); // 3 instances x 2
});
