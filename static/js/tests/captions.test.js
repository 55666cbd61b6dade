// Captions: dotted patterns, and the translated text chosen by matching the event a caption is about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { matchesPattern, captionText } from '../captions.js';
import { fromTrace } from '../timeline.js';

const crash = JSON.parse(readFileSync(new URL('./fixtures/2pc-coordinator-crash.json', import.meta.url)));

test('dotted keys reach into nested fields; every key must match', () => {
  const e = { kind: 'persist', node: 'coordinator', record: { type: 'decision', decision: 'commit' } };
  assert.equal(matchesPattern(e, { kind: 'persist', 'record.decision': 'commit' }), true);
  assert.equal(matchesPattern(e, { kind: 'persist', 'record.decision': 'abort' }), false);
  assert.equal(matchesPattern(e, { 'message.type': 'vote' }), false);
  assert.equal(matchesPattern(null, {}), false);
});

test('a caption shows the translation whose pattern matches the event it is about', () => {
  const timeline = fromTrace(crash);
  const scenario = { captions: [
    { match: { kind: 'crash', node: 'coordinator' }, text: '协调者崩溃了' },
    { match: { kind: 'timer', timer: 'status_timeout' }, text: '询问结果' },
  ] };
  const [first, second, third] = timeline.captions;
  assert.equal(captionText(first, timeline, scenario), '协调者崩溃了');
  assert.equal(captionText(second, timeline, scenario), '询问结果');
  assert.equal(captionText(third, timeline, scenario), third.text, 'no translation: the engine text');
  assert.equal(captionText(first, timeline, null), first.text);
});
