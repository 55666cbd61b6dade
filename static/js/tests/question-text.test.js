// The words of a question: one template per kind, filled from its data, in the page's language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { questionPrompt, optionLabel } from '../question-text.js';
import { makeTranslator } from '../i18n.js';

const KEYS = JSON.parse(readFileSync(new URL('../i18n-keys.json', import.meta.url)));
const en = makeTranslator({}, KEYS);

test('each kind has its prompt, filled from the question data; one step reads as one', () => {
  assert.equal(questionPrompt({ kind: 'next-event', data: {} }, en), 'Which message or timer is handled next?');
  assert.equal(questionPrompt({ kind: 'phase-after', data: { node: 'p1', steps: 3 } }, en),
    "What is p1's phase after the next 3 steps?");
  assert.equal(questionPrompt({ kind: 'phase-after', data: { node: 'p1', steps: 1 } }, en),
    "What is p1's phase after the next step?");
  assert.equal(questionPrompt({ kind: 'invariant-after', data: { invariant: 'atomicity', steps: 10 } }, en),
    'Does atomicity still hold after the next 10 steps?');
  assert.equal(questionPrompt({ kind: 'value-after', data: { node: 'store', field: 'value', steps: 4 } }, en),
    "What is store's value after the next 4 steps?");
  assert.equal(questionPrompt({ kind: 'free', prompt: 'Who decides?', data: {} }, en), 'Who decides?');
});

test('a page in Chinese renders the same question in Chinese; without a translator, English', () => {
  const zh = makeTranslator({ 'question.prompt.phase-after': '再走 {steps} 步后 {node} 处于什么阶段？' }, KEYS);
  assert.equal(questionPrompt({ kind: 'phase-after', data: { node: 'p2', steps: 5 } }, zh), '再走 5 步后 p2 处于什么阶段？');
  assert.equal(questionPrompt({ kind: 'phase-after', data: { node: 'p2', steps: 5 } }, null),
    "What is p2's phase after the next 5 steps?");
});

test('choices: a message, a timer, a phase, holds or breaks, a value, a free text', () => {
  assert.equal(optionLabel({ id: 'm3', kind: 'message', type: 'prepare', src: 'coordinator', dst: 'p1' }, en),
    'prepare from coordinator to p1');
  assert.equal(optionLabel({ id: 't1', kind: 'timer', timer: 'vote_timeout', node: 'coordinator' }, en),
    'vote_timeout timer at coordinator');
  assert.equal(optionLabel({ phase: 'prepared' }, en), 'prepared');
  assert.equal(optionLabel({ holds: true }, en), 'Yes, it still holds');
  assert.equal(optionLabel({ holds: false }, en), 'No, it breaks');
  assert.equal(optionLabel({ value: '2' }, en), '2');
  assert.equal(optionLabel({ text: 'The coordinator' }, en), 'The coordinator');
  const encoding = { messageLabel: (m) => m.type.toUpperCase(), phase: (p) => ({ label: `[${p}]` }) };
  assert.equal(optionLabel({ kind: 'message', type: 'vote', src: 'p1', dst: 'coordinator' }, en, encoding),
    'VOTE from p1 to coordinator');
  assert.equal(optionLabel({ phase: 'init' }, en, encoding), '[init]');
});
