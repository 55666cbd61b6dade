// Pure computations behind the cache panels (no DOM): tested in static/js/tests/cache.test.js.
//
// The matrix reads the node views at the playhead: one row per cache, one for the database,
// one column per key. A cache cell is `empty`, `fresh` (same value as the database),
// `stale` (another value), `dirty` (write-back: newer than the database, not yet flushed),
// `expired` (cache-aside: the cache itself recorded the entry past its TTL, in its state's
// `expired`, not yet swept; the browser never compares a TTL with the clock) or `lost` (the
// cache is down: its memory is gone). The charts read the log up to the playhead: every answered read (hit or
// miss, from the clients' `last` result) and every stale-read violation with its age.
import { linear, niceMax } from './chart.js';

export { linear, niceMax }; // callers and tests take them from here

/** Keys in their natural order: k2 before k10. */
export function naturalKeys(keys) {
  const num = (k) => { const m = /(\d+)$/.exec(k); return m ? Number(m[1]) : Infinity; };
  return [...new Set(keys)].sort((a, b) => num(a) - num(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Return the status of one cache cell against the database's cell (`expired`: as the cache recorded it). */
export function cellStatus(entry, dbCell, { up = true, expired = false } = {}) {
  if (!up) return 'lost';
  if (!entry) return 'empty';
  if (entry.dirty) return 'dirty';
  if (expired) return 'expired';
  const truth = dbCell ? dbCell.v : null;
  return (entry.v ?? null) === (truth ?? null) ? 'fresh' : 'stale';
}

/**
 * Build the matrix from snapshot nodes ({name, role, up, state}): {keys, hidden, rows}.
 * Rows are the caches in order, then the database; each cell is {key, status, value, ver}.
 * At most `maxKeys` columns are shown (the busiest first would shift under the eye: the first
 * ones in key order are kept); `hidden` counts the rest.
 */
export function buildMatrix(nodes, { maxKeys = 12 } = {}) {
  const db = nodes.find((n) => n.role === 'db');
  const caches = nodes.filter((n) => n.role === 'cache');
  const data = (db && db.state && db.state.data) || {};
  const all = naturalKeys([
    ...Object.keys(data),
    ...caches.flatMap((c) => Object.keys((c.state && c.state.entries) || {})),
  ]);
  const keys = all.slice(0, maxKeys);
  const rows = caches.map((c) => {
    const entries = (c.state && c.state.entries) || {};
    const expired = new Set((c.state && c.state.expired) || []); // recorded by the cache (cache-aside)
    return {
      name: c.name, role: 'cache', up: c.up !== false,
      cells: keys.map((key) => {
        const entry = entries[key];
        return {
          key, status: cellStatus(entry, data[key], { up: c.up !== false, expired: expired.has(key) }),
          value: entry ? entry.v ?? null : null, ver: entry && entry.ver !== undefined ? entry.ver : null,
        };
      }),
    };
  });
  if (db) {
    rows.push({
      name: db.name, role: 'db', up: db.up !== false,
      cells: keys.map((key) => ({
        key, status: data[key] ? 'db' : 'empty', value: data[key] ? data[key].v : null,
        ver: data[key] ? data[key].ver : 0,
      })),
    });
  }
  return { keys, hidden: all.length - keys.length, rows };
}

/** Return the text of a cell: value, version and a star for dirty data. */
export function cellText(cell) {
  if (cell.status === 'empty' && cell.ver === 0) return '∅';
  if (cell.status === 'empty' || cell.status === 'lost') return '—';
  const value = cell.value === null || cell.value === undefined ? '∅' : String(cell.value);
  if (cell.status === 'dirty') return `${value}*`;
  return cell.ver === null || cell.ver === undefined ? value : `${value} v${cell.ver}`;
}

/** Return the status counts of the cache rows (not the database's): {fresh, stale, dirty, ...}. */
export function countStatuses(matrix) {
  const counts = { fresh: 0, stale: 0, dirty: 0, expired: 0, empty: 0, lost: 0 };
  for (const row of matrix.rows) {
    if (row.role !== 'cache') continue;
    for (const cell of row.cells) counts[cell.status] += 1;
  }
  return counts;
}

// ------------------------------------------------------------------ charts

/** Fold one event into the charts' accumulator: an answered read, or a stale read with its recorded age. */
function readStep(acc, e) {
  if (e.kind === 'start') acc.roles.set(e.node, e.role); // a node's role, as the log says it at boot
  if (e.kind === 'state' && acc.roles.get(e.node) === 'client' && e.state) {
    const last = e.state.last;
    const seen = acc.lastN.get(e.node);
    acc.lastN.set(e.node, last ? last.n : null);
    if (last && last.n !== seen && last.op === 'read' && last.ok) {
      acc.reads.push({ seq: e.seq, time: e.time, hit: Boolean(last.hit), node: e.node });
    }
  } else if (e.kind === 'violation' && e.invariant === 'stale-read') {
    // The detector (protocols/cache/detectors.py) records the value's age in its finding's data.
    const data = (e.finding && e.finding.data) || {};
    acc.stale.push({ seq: e.seq, time: e.time, age: Number(data.age_ms) || 0, node: (e.nodes || [])[0] || '' });
  }
  return acc;
}

/** The charts' fold (timeline.addIndex): every answered read and every stale read, in log order. */
export const CACHE_READS = {
  init: () => ({ roles: new Map(), lastN: new Map(), reads: [], stale: [] }),
  step: readStep,
  copy: (acc) => ({ roles: new Map(acc.roles), lastN: new Map(acc.lastN), reads: [...acc.reads], stale: [...acc.stale] }),
};

/** Start an accumulator over a growing log: answered reads and stale reads, in log order. */
export function newAccumulator() {
  return { next: 0, ...CACHE_READS.init() };
}

/** Fold the events not seen yet into `acc`; return `acc`. */
export function accumulate(events, acc) {
  for (; acc.next < events.length; acc.next += 1) readStep(acc, events[acc.next]);
  return acc;
}

/** Return the cumulative hit ratio after each read answered at or before `upToSeq`: [{x, y}]. */
export function hitRatioSeries(reads, upToSeq) {
  const points = [];
  let hits = 0;
  let n = 0;
  for (const r of reads) {
    if (r.seq > upToSeq) break;
    n += 1;
    if (r.hit) hits += 1;
    points.push({ x: r.time, y: hits / n });
  }
  return points;
}

/** Return the stale reads at or before `upToSeq` as [{x: time, y: age in ms}]. */
export function stalenessSeries(stale, upToSeq) {
  return stale.filter((s) => s.seq <= upToSeq).map((s) => ({ x: s.time, y: s.age }));
}

/** Return the figures shown above the charts, at `upToSeq`. */
export function figures(acc, upToSeq) {
  const ratio = hitRatioSeries(acc.reads, upToSeq);
  const stale = stalenessSeries(acc.stale, upToSeq);
  return {
    reads: ratio.length,
    hitRatio: ratio.length ? ratio[ratio.length - 1].y : null,
    staleReads: stale.length,
    maxStaleness: stale.reduce((m, s) => Math.max(m, s.y), 0),
  };
}


/** Return a step path through the points (a ratio holds its value until the next read). */
export function stepPath(points, x, y, endX) {
  if (!points.length) return '';
  let d = `M${x(points[0].x).toFixed(1)},${y(points[0].y).toFixed(1)}`;
  for (let i = 1; i < points.length; i += 1) {
    d += `H${x(points[i].x).toFixed(1)}V${y(points[i].y).toFixed(1)}`;
  }
  return `${d}H${x(Math.max(endX, points[points.length - 1].x)).toFixed(1)}`;
}

