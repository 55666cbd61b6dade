// Text helpers of dom.js that need no document: compact values and clipped long ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { clip, compact } from '../dom.js';

test('a short text is kept whole', () => {
  assert.deepEqual(clip('version=2', 160), { text: 'version=2', cut: false });
  assert.deepEqual(clip('x'.repeat(160), 160), { text: 'x'.repeat(160), cut: false });
});

test('a long text is cut to the limit, ellipsis included', () => {
  const { text, cut } = clip('x'.repeat(500), 160);
  assert.equal(cut, true);
  assert.equal(Array.from(text).length, 160);
  assert.ok(text.endsWith('…'));
});

test('a cut never splits a character outside the basic plane', () => {
  const { text } = clip('😀'.repeat(10), 4);
  assert.equal(text, '😀😀😀…');
});

test('a ring drawing in a state field becomes one clipped line', () => {
  const drawing = { points: { cache1: Array.from({ length: 400 }, (_, i) => i / 400) } };
  const { text, cut } = clip(compact(drawing), 160);
  assert.equal(cut, true);
  assert.ok(text.startsWith('points=cache1=0, 0.0025'));
});
