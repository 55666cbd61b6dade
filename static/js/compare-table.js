// The compare page's table, as pure functions: figures by run, the cells that differ.

/** Write one figure short: floats to three significant digits, objects as compact JSON. */
export function formatValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) < 1000 ? String(Number(value.toPrecision(3))) : Math.round(value).toLocaleString('en');
  }
  if (typeof value === 'object') return JSON.stringify(sortKeys(value));
  return String(value);
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
