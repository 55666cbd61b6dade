// Small helpers the panels' SVG charts share: a linear scale and a round axis maximum.

/** Return a linear scale from the domain [d0, d1] to the range [r0, r1] (a point domain maps to r0). */
export function linear([d0, d1], [r0, r1]) {
  const span = d1 - d0;
  return (v) => (span ? r0 + ((v - d0) / span) * (r1 - r0) : r0);
}

/** Return the smallest round number (1, 2, 2.5, 5 times a power of ten) at least `max` and `floor`. */
export function niceMax(max, floor = 1) {
  const value = Math.max(max, floor);
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= value);
}
