// Interface strings. The page carries the translated strings (`#lab-i18n`, key -> text);
// i18n-keys.json holds every key with its English text, the fallback for a missing one.
// Placeholders are written {name} and filled from `vars`.

/** Fill the {name} placeholders of `text` from `vars` (unknown ones stay as written). */
export function fill(text, vars = {}) {
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

/** Return a translator over `strings`, falling back to `defaults`, then to the key itself. */
export function makeTranslator(strings = {}, defaults = {}) {
  return function t(key, vars = {}) {
    return fill(strings[key] ?? defaults[key] ?? key, vars);
  };
}

/**
 * Return `tr(key, english, vars)`: `t`'s text for `key`, or the English given at the call when the key
 * has none yet (or there is no `t`). Protocol panels carry their English beside each key this way.
 */
export function withEnglish(t) {
  return (key, english, vars = {}) => {
    const text = t ? t(key, vars) : key;
    return text !== key ? text : fill(english, vars);
  };
}

/** Read the page's strings and the English defaults; never fails (the keys themselves are the last resort). */
export async function loadTranslator(doc = document) {
  let strings = {};
  let defaults = {};
  const node = doc.getElementById('lab-i18n');
  if (node) {
    try { strings = JSON.parse(node.textContent || '{}'); } catch (err) { strings = {}; }
  }
  try {
    const response = await fetch(new URL('./i18n-keys.json', import.meta.url));
    if (response.ok) defaults = await response.json();
  } catch (err) { defaults = {}; }
  return makeTranslator(strings, defaults);
}
