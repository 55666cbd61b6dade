import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatValue, figureRows, violatedNames } from '../compare-table.js';

test('figures are written short, like manage.py compare', () => {
  assert.equal(formatValue(0.123456), '0.123');
  assert.equal(formatValue(12), '12');
  assert.equal(formatValue(null), '—');
  assert.equal(formatValue(true), 'yes');
  assert.equal(formatValue({ b: 1, a: 2 }), '{"a":2,"b":1}');
});

test('rows follow first appearance and mark the figures that differ', () => {
  const rows = figureRows([{ hit_ratio: 0.5, reads: 4 }, { hit_ratio: 0.5, reads: 6, lost_writes: 1 }, null]);
  assert.deepEqual(rows.map((r) => r.name), ['hit_ratio', 'reads', 'lost_writes']);
  assert.deepEqual(rows[0].cells, ['0.5', '0.5', '—']);
  assert.equal(rows[1].differs, true);
  assert.deepEqual(figureRows([{ a: 1 }, { a: 1 }])[0].differs, false);
});

test('violated invariants are listed by name', () => {
  assert.deepEqual(violatedNames({ b: 'violated', a: 'violated', c: 'holds' }), ['a', 'b']);
  assert.deepEqual(violatedNames(undefined), []);
});

test('figures are written as manage.py compare writes them (format-cases.json, shared with Python)', () => {
  const { cases } = JSON.parse(readFileSync(new URL('./format-cases.json', import.meta.url), 'utf8'));
  for (const [value, text] of cases) assert.equal(formatValue(value), text, JSON.stringify(value));
});
