// The coherence matrix as the MESI panel draws it: pure functions, no DOM (tests/mesi.test.js).
//
// Rows are caches, columns are the keys anyone holds or the directory knows; a cell is the line's
// state in that cache (M, E, S, I, or a transient state such as IS_D, shown as "I→S" waiting for
// data) with its value. A last row is the directory's view: owner or sharers, busy or not. A
// column where one cache may write while another may still read is a coherence violation,
// marked the same way the checker's single-writer-multiple-readers invariant decides it.

import { PALETTE, inkFor } from '../protocols/palette.js';

export const MAX_KEYS = 16;
/** Columns shown at most; a projector cannot show more, and the rest are counted. */

export const LINE_STATES = {
  M: { colour: PALETTE.vermillion, label: 'Modified' },
  E: { colour: PALETTE.orange, label: 'Exclusive' },
  S: { colour: PALETTE.sky, label: 'Shared' },
  I: { colour: '#FFFFFF', label: 'Invalid' },
};

const TRANSIENT = {
  IS_D: ['I→S', 'data'], IM_AD: ['I→M', 'data-acks'], IM_A: ['I→M', 'acks'], SM_AD: ['S→M', 'data-acks'],
  SM_A: ['S→M', 'acks'], MI_A: ['M→I', 'put-ack'], EI_A: ['E→I', 'put-ack'], SI_A: ['S→I', 'put-ack'],
  II_A: ['I→I', 'put-ack'],
};
/** What a transient state waits for, in English (the panel translates keys panel.mesi.wait.<code>). */
export const WAITS = { data: 'data', 'data-acks': 'data and acks', acks: 'acks', 'put-ack': 'Put-Ack' };
export const TRANSIENT_COLOUR = PALETTE.yellow;

const WRITERS = new Set(['M', 'E']);
const READERS = new Set(['S', 'SM_AD', 'SM_A']);

/** Return how a line state looks: its letters, colour, ink, a label and what a transient one waits for. */
export function lineCell(st) {
  const stable = LINE_STATES[st || 'I'];
  if (stable) {
    const colour = stable.colour;
    return { st: st || 'I', letter: st || 'I', colour, ink: inkFor(colour), label: stable.label, waits: null };
  }
  const [letter, waits] = TRANSIENT[st] || [String(st), null];
  return { st, letter, colour: TRANSIENT_COLOUR, ink: inkFor(TRANSIENT_COLOUR), label: `${st}`, waits };
}

/** Sort keys as the workload numbers them: k2 before k10. */
export function sortKeys(keys) {
  const num = (k) => { const m = /^k(\d+)$/.exec(k); return m ? Number(m[1]) : Infinity; };
  return [...keys].sort((a, b) => num(a) - num(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Describe the directory's record of one line: "M/E cache1", "S cache1, cache2" or "I", busy and queue. */
export function dirCell(record, memory) {
  const r = record || { st: 'I', owner: null, sharers: [], busy: null, queue: [] };
  let text = 'I';
  if (r.st === 'EM') text = `M/E ${r.owner}`;
  else if (r.st === 'S') text = `S ${r.sharers.join(', ')}`;
  const busy = r.busy ? `${r.busy.kind} ${r.busy.req} … ${r.busy.wait.join(' + ')}` : null;
  return { st: r.st, text, owner: r.owner, sharers: r.sharers, busy, queued: (r.queue || []).length, memory };
}

/** Return the keys where one running cache may write while another may read (or two may write). */
export function conflicts(caches) {
  const bad = new Set();
  const seen = {};
  for (const cache of caches) {
    if (!cache.up) continue;
    for (const [key, line] of Object.entries(cache.lines)) {
      const who = seen[key] || (seen[key] = { w: 0, r: 0 });
      if (WRITERS.has(line.st)) who.w += 1;
      else if (READERS.has(line.st)) who.r += 1;
    }
  }
  for (const [key, who] of Object.entries(seen)) if (who.w > 1 || (who.w && who.r)) bad.add(key);
  return bad;
}

/** Return the matrix at a snapshot: caches (rows), keys (columns), cells, the directory's row, conflicts. */
export function coherenceMatrix(snapshot, maxKeys = MAX_KEYS) {
  const nodes = (snapshot && snapshot.nodes) || [];
  const caches = nodes.filter((n) => n.role === 'cache')
    .map((n) => ({ name: n.name, up: n.up, phase: n.phase, lines: (n.state && n.state.lines) || {} }));
  const dirNode = nodes.find((n) => n.role === 'directory');
  const dirState = (dirNode && dirNode.state) || { lines: {}, memory: {} };
  const all = new Set(Object.keys(dirState.lines || {}));
  for (const c of caches) for (const key of Object.keys(c.lines)) all.add(key);
  const bad = conflicts(caches);
  const ordered = sortKeys(all);
  // Columns in trouble first among those shown, so a violation is never the one left out.
  const keys = sortKeys([...ordered.filter((k) => bad.has(k)), ...ordered.filter((k) => !bad.has(k))].slice(0, maxKeys));
  const rows = caches.map((c) => ({
    name: c.name, up: c.up, phase: c.phase,
    cells: keys.map((key) => {
      const line = c.lines[key];
      return { key, ...lineCell(line ? line.st : 'I'), value: line ? line.v : undefined };
    }),
  }));
  const dir = keys.map((key) => ({ key, ...dirCell((dirState.lines || {})[key], (dirState.memory || {})[key]) }));
  return { keys, rows, dir, dirUp: Boolean(dirNode && dirNode.up), conflicts: bad, hidden: all.size - keys.length };
}
