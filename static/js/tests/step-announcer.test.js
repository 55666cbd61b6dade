// The step announcer's sentences: what a step did and to whom, from the log, in the page's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { fromTrace } from '../timeline.js';
import { makeTranslator } from '../i18n.js';
import { describeStep } from '../views/step-announcer.js';

const keys = JSON.parse(readFileSync(new URL('../i18n-keys.json', import.meta.url)));
const crash = JSON.parse(readFileSync(new URL('./fixtures/2pc-coordinator-crash.json', import.meta.url)));

test('a step is said as who received what, who changed phase, who crashed', () => {
  const t = makeTranslator({}, keys);
  const timeline = fromTrace(crash);
  const encoding = { messageLabel: (m) => m.type.toUpperCase(), phase: (phase) => ({ label: phase }) }; // the table's words
  const said = [];
  for (let seq = 1; seq <= timeline.lastSeq; seq += 1) said.push(describeStep(timeline, seq - 1, seq, { encoding, t }));
  const all = said.join('\n');
  assert.match(all, /coordinator → p1: PREPARE/);
  assert.match(all, /p1: prepared/);
  assert.match(all, /coordinator: crashed/);
  const sends = timeline.events.filter((e) => e.kind === 'send').map((e) => e.seq);
  assert.equal(said[sends[0] - 1], '', 'a send alone says nothing yet: its delivery will');
  assert.match(describeStep(timeline, 0, timeline.lastSeq, { encoding, t }), /\(\+\d+\)\.$/, 'a crowd is cut short');
});
