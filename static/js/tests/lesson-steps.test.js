// Lessons: the playback rests at the first unanswered question; notes show from their seq on.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { gateAt, noteAt, textIn, score } from '../lesson-steps.js';

const questions = [{ index: 0, seq: 20 }, { index: 1, seq: 40 }, { index: 2, seq: 60 }];

test('a question stops the playhead at its seq until answered; skipping ahead comes back to the first', () => {
  assert.equal(gateAt(questions, {}, 19), null);
  assert.equal(gateAt(questions, {}, 20).index, 0);
  assert.equal(gateAt(questions, {}, 75).index, 0, 'scrubbed past three: back to the first');
  assert.equal(gateAt(questions, { 0: {} }, 75).index, 1);
  assert.equal(gateAt(questions, { 0: {}, 1: {}, 2: {} }, 75), null);
});

test('the note shown is the latest reached; none before the first', () => {
  const notes = [{ seq: 10, text: 'a' }, { seq: 30, text: 'b' }];
  assert.equal(noteAt(notes, 9), -1);
  assert.equal(noteAt(notes, 10), 0);
  assert.equal(noteAt(notes, 29), 0);
  assert.equal(noteAt(notes, 31), 1);
});

test('texts in the page language, English otherwise; the score counts graded answers', () => {
  assert.equal(textIn({ en: 'Hello', 'zh-hans': '你好' }, 'zh-hans'), '你好');
  assert.equal(textIn({ en: 'Hello' }, 'zh-hans'), 'Hello');
  assert.equal(textIn('typed by a teacher', 'zh-hans'), 'typed by a teacher');
  assert.deepEqual(score({ 0: { choice: 1, correct: 1 }, 1: { choice: 0, correct: 2 }, 2: { choice: 0, correct: null } }),
    { right: 1, graded: 2 });
});
