// The explorer's report in words, for the Explore tab (views/explore.js). Pure: numbers and a
// translator in, strings out, so Node tests it without a DOM.
//
// A report (GET /api/explore/<job> once done) says how much of the model was searched (`states`
// distinct worlds, `transitions`, `max_depth`, `elapsed_s`), whether the search ran to the end
// (`complete`) and what it found (`counterexamples`, each with the shortest command list to it and
// its `category`: 'safety', 'liveness', or 'illustrative' for a finding the lesson expects, which
// leaves the configuration clean; see docs/architecture.md).

import { renderFinding } from './findings.js';

/** The kinds of findings, in the order the tab lists them. */
export const CATEGORIES = ['safety', 'liveness', 'illustrative'];

const categoryOf = (c) => (CATEGORIES.includes(c.category) ? c.category : 'safety');

/** Choices offered for the search's budget; the server accepts 1..50,000 worlds and 0..2 of each fault. */
export const MAX_STATES_CHOICES = [5000, 20000, 50000];
export const DEFAULT_MAX_STATES = 20000;
export const FAULT_CHOICES = [0, 1, 2];

/** Write a count the way the page's language does: 21374 -> "21,374" in English. */
export function formatCount(n, locale) {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/** Write seconds with one decimal (two under 0.1 s, so a quick search does not read "0.0"). */
export function formatSeconds(seconds, locale) {
  const digits = seconds > 0 && seconds < 0.1 ? 2 : 1;
  return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(seconds);
}

/** Return "in 4 steps" (or "in 1 step", or "from the start" for a world broken before any step). */
export function depthText(depth, t) {
  if (depth === 0) return t('explore.depth.zero');
  if (depth === 1) return t('explore.depth.one');
  return t('explore.depth.many', { n: depth });
}

/** Return the line saying how much was searched: "21,374 worlds, 78,649 transitions, depth 19, 4.1 s". */
export function summaryLine(report, t, locale) {
  return t('explore.summary', {
    states: formatCount(report.states, locale),
    transitions: formatCount(report.transitions, locale),
    depth: formatCount(report.max_depth, locale),
    seconds: formatSeconds(report.elapsed_s, locale),
  });
}

/**
 * Return the verdict: {kind, text}. `kind` is 'broken' when a safety or liveness finding was made
 * (whether or not the search finished: one counterexample is proof enough), 'safe' when every world
 * was tried and none broke (findings the lesson expects aside), and 'partial' when the budget ran
 * out first: nothing found is then no proof.
 */
export function verdict(report, t, locale) {
  const all = report.counterexamples || [];
  const found = all.filter((c) => categoryOf(c) !== 'illustrative').length;
  // Broken either way; whether every world was searched says whether there may be more ways.
  const searched = t(report.complete ? 'explore.searchedAll' : 'explore.searchStopped');
  if (found === 1) return { kind: 'broken', text: `${t('explore.broken.one')} · ${searched}` };
  if (found > 1) return { kind: 'broken', text: `${t('explore.broken.many', { n: formatCount(found, locale) })} · ${searched}` };
  if (report.complete) return { kind: 'safe', text: t(all.length ? 'explore.clean.illustrative' : 'explore.safe') };
  return { kind: 'partial', text: t('explore.partial', { states: formatCount(report.states, locale) }) };
}

/**
 * Return one row per counterexample, in the report's order (its index is what
 * POST /api/explore/<job>/sessions takes): {index, name, text, depth, exception, category}.
 * `exception`: the protocol raised (an unlisted state and input) rather than an invariant breaking.
 */
export function findingRows(report, t, templates = null, vocabulary = null) {
  return (report.counterexamples || []).map((c, index) => ({
    index,
    name: c.name,
    // A violation's finding in the page's language (the catalogue's templates); an exception's message as it is.
    text: c.finding && templates ? renderFinding(c.finding, templates, vocabulary) : (c.text || ''),
    depth: depthText(c.depth ?? (c.commands || []).length, t),
    exception: c.kind === 'exception',
    category: categoryOf(c),
  }));
}

/** Return the finding rows grouped by kind, non-empty groups only: [{category, title, rows}]. */
export function findingGroups(report, t, templates = null, vocabulary = null) {
  const rows = findingRows(report, t, templates, vocabulary);
  return CATEGORIES
    .map((category) => ({ category, title: t(`explore.kind.${category}`), rows: rows.filter((r) => r.category === category) }))
    .filter((group) => group.rows.length);
}
