// What the two invariant views share: when their content can have changed, and which
// invariants to list (the protocol's, in catalogue order, then any the log names besides).

/** Return a key that changes exactly when the verdicts can have: they change only with violations. */
export function verdictKey(violations) {
  return `${violations.length}|${violations.length ? violations[violations.length - 1].seq : 0}`;
}

/** Return every invariant name to show: the catalogue's first, then any other with a verdict. */
export function invariantNames(known, verdicts) {
  return [...new Set([...known.map((i) => i.name), ...Object.keys(verdicts)])];
}
