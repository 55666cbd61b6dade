// The compare page's table, as pure functions: figures by run, the cells that differ.

/**
 * Write one figure short, by the rules of `format_value` in protocols/sim/compare.py (its docstring
 * says them; static/js/tests/format-cases.json holds both to them): whole numbers as digits, others
 * to three significant digits (halves away from zero), 1,000 and more as grouped whole numbers,
 * objects as compact JSON with sorted keys.
 */
export function formatValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '—';
    if (Number.isInteger(value)) return String(value);
    return shortNumber(value);
  }
  if (typeof value === 'object') return JSON.stringify(sortKeys(value));
  return String(value);
}

function shortNumber(value) {
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  const whole = Math.floor(abs + 0.5);
  if (whole >= 1000) return sign + String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  // toExponential rounds the exact binary value, halves up: as Python's Decimal with ROUND_HALF_UP.
  const [mantissa, exp] = abs.toExponential(2).split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(exp) + 1; // digits before the decimal point
  let text;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + '0'.repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return sign + text;
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

/** Return [{name, cells: [text per run], differs}] for every figure of any run, in first-seen order. */
export function figureRows(summaries) {
  const names = [];
  for (const summary of summaries) for (const name of Object.keys(summary || {})) if (!names.includes(name)) names.push(name);
  return names.map((name) => {
    const cells = summaries.map((s) => formatValue(s ? s[name] : undefined));
    return { name, cells, differs: new Set(cells).size > 1 };
  });
}

/** Return the names of the invariants a run has violated so far, sorted. */
export function violatedNames(verdicts) {
  return Object.entries(verdicts || {}).filter(([, v]) => v === 'violated').map(([k]) => k).sort();
}
