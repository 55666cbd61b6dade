// Findings in words. A violation carries what went wrong as data, {id, data}; its words are the
// protocol's template for that id, which the page's catalogue entry holds already translated into
// the page's language (`catalogue.findings`, id -> template with {name} blanks). Filling a template
// is the one rule shared with protocols/findings.py: a blank takes its datum, a list is written
// with ", " between its items, a number as a figure (formatValue, which format_value matches), a
// blank with no datum stays as written (the tests forbid one); tests/sim/test_format_cases.py runs both.
// A datum that is a word (an outcome, a phase: the protocol declares which, `Invariant.words`) is
// written in the page's language from the catalogue's `finding_words` (English -> translation).
// Nothing here knows a protocol: the words are the protocol's, the facts the checker's.

import { formatValue } from './compare-table.js';

const BLANK = /\{(\w+)\}/g;

/**
 * Write one datum as a template shows it: a list with ", " between its items, a number as a figure,
 * a text that `words` holds as it says there (a word in the page's language).
 */
export function showDatum(value, words = null) {
  if (Array.isArray(value)) return value.map((item) => showDatum(item, words)).join(', ');
  if (typeof value === 'number') return formatValue(value);
  if (typeof value === 'string' && words && Object.hasOwn(words, value)) return words[value];
  return String(value);
}

/** Fill a template's {name} blanks from `data`; a blank without a datum stays as written. */
export function fillTemplate(template, data = {}, words = null) {
  return template.replace(BLANK, (all, name) => (Object.hasOwn(data, name) ? showDatum(data[name], words) : all));
}

/**
 * Return a finding ({id, data}) in words from `templates` (id -> template), its word values from
 * `words` (English -> the page's language); its id if no template is known.
 */
export function renderFinding(finding, templates, words = null) {
  if (!finding) return '';
  const template = templates && Object.hasOwn(templates, finding.id) ? templates[finding.id] : null;
  return template === null ? String(finding.id) : fillTemplate(template, finding.data || {}, words);
}

/** Return what a violation event says went wrong, in the page's language (`catalogue`: the page's entry). */
export function violationText(violation, catalogue) {
  return renderFinding(violation && violation.finding, catalogue ? catalogue.findings : null,
    catalogue ? catalogue.finding_words : null);
}
