// A lesson's teacher link: the token leaves the address bar at once and is kept for this tab only.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { takeLessonToken } from '../lesson-results.js';

function fakes(hash) {
  const store = new Map();
  const replaced = [];
  return {
    loc: { hash, pathname: '/lessons/retry-storm', search: '' },
    storage: { setItem: (k, v) => store.set(k, v), getItem: (k) => store.get(k) ?? null },
    hist: { state: null, replaceState: (s, t, url) => replaced.push(url) },
    replaced,
  };
}

test('the token in the fragment is kept per lesson and removed from the address', () => {
  const f = fakes('#token=abc%2Fdef');
  assert.equal(takeLessonToken('retry-storm', f.loc, f.storage, f.hist), 'abc/def');
  assert.deepEqual(f.replaced, ['/lessons/retry-storm']);
  f.loc.hash = '';
  assert.equal(takeLessonToken('retry-storm', f.loc, f.storage, f.hist), 'abc/def', 'a reload keeps it');
  assert.equal(takeLessonToken('other', f.loc, f.storage, f.hist), null, 'another lesson has none');
});

test('a student link has no token', () => {
  const f = fakes('');
  assert.equal(takeLessonToken('retry-storm', f.loc, f.storage, f.hist), null);
  assert.deepEqual(f.replaced, []);
});
