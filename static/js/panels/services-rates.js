// Request rate, error rate and latency over time: three small SVG charts drawn up to the playhead.
//
// Generic for the services family: it reads finished client calls from the event log, in either
// of two shapes, whichever the protocol writes (a protocol may write both; each call counts once
// as long as it uses one shape per node):
//
//   1. a `persist` event whose record is {type: 'call', ok: bool, latency_ms: int, ...}
//      (a consumer's durable call log, as service-invocation and service-mesh keep it);
//   2. a `state` event whose state has `last_call` = {n, to, ok, ms, at, error?}: a call ended
//      each time a node's `last_call` changes (service-registry). A call with error
//      'no instance' counts as a failure but has no latency (it never went on the wire).
//
// A protocol with yet another shape lists `ratesPanelFor(extract)`, its own
// `extract(event, memory) -> call | null` (a call is {ok: bool, ms: number|null}; `memory` is a Map
// kept per run). The calls are a fold the timeline checkpoints (`callsFold`).
// Everything but the DOM code is pure and tested in static/js/tests/services.test.js.

import { h, fill } from '../dom.js';
import { PALETTE } from '../protocols/palette.js';
import { definePanel, svg } from './define.js';
import { linear, niceMax } from './chart.js';

export { linear, niceMax }; // callers and tests take them from here

const WIDTH = 640;
const HEIGHT = 130;
const PAD = { left: 64, right: 16, top: 14, bottom: 26 };
const TARGET_BUCKETS = 30;
/** About this many points per chart: enough to see a dip, few enough to read on a projector. */

/** Return the call an event finishes in shape 1 or 2 (see the header), or null. */
export function defaultExtract(event, memory) {
  if (event.kind === 'persist' && event.record && event.record.type === 'call') {
    const ms = event.record.latency_ms;
    return { node: event.node, ok: Boolean(event.record.ok), ms: Number.isFinite(ms) ? ms : null };
  }
  if (event.kind !== 'state' || !event.state || !('last_call' in event.state)) return null;
  const done = event.state.last_call;
  const before = memory.get(event.node);
  memory.set(event.node, done);
  if (!done || (before && before.n === done.n && before.at === done.at && before.to === done.to)) return null;
  const wire = done.error !== 'no instance' && Number.isFinite(done.ms);
  return { node: event.node, ok: Boolean(done.ok), ms: wire ? done.ms : null, to: done.to ?? null };
}

/** Start an accumulator of calls over a growing log. */
export function newAccumulator(extract = defaultExtract) {
  return { extract, memory: new Map(), next: 0, calls: [] };
}

/** Fold one event into `acc.calls` ({seq, time, node, ok, ms}); return `acc`. */
function callStep(acc, event) {
  const call = acc.extract(event, acc.memory);
  if (call) acc.calls.push({ seq: event.seq, time: event.time, ...call });
  return acc;
}

/** Fold the events not seen yet into `acc.calls` ({seq, time, node, ok, ms}); return `acc`. */
export function extractCalls(events, acc) {
  for (; acc.next < events.length; acc.next += 1) callStep(acc, events[acc.next]);
  return acc;
}

const FOLDS = new Map(); // extract -> its fold, so panels reading calls the same way share one index

/** Return the fold of the finished calls an `extract` reads (timeline.addIndex): {extract, memory, calls}. */
export function callsFold(extract = defaultExtract) {
  if (!FOLDS.has(extract)) {
    FOLDS.set(extract, {
      init: () => ({ extract, memory: new Map(), calls: [] }),
      step: callStep,
      copy: (acc) => ({ extract, memory: new Map(acc.memory), calls: [...acc.calls] }),
    });
  }
  return FOLDS.get(extract);
}

/** Return a bucket width in ms (1, 2 or 5 times a power of ten) giving about TARGET_BUCKETS buckets. */
export function chooseBucket(endTime, target = TARGET_BUCKETS) {
  const raw = Math.max(1, endTime / target);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return Math.max(10, step);
}

/** Return the nearest-rank `q` percentile of `values` (0 < q <= 1), or null if there are none. */
export function percentile(values, q) {
  if (!values.length) return null;
  const ordered = [...values].sort((a, b) => a - b);
  return ordered[Math.max(0, Math.ceil(q * ordered.length) - 1)];
}

/**
 * Group the calls finished at or before `upToSeq` into buckets of `bucketMs` from 0 to `endTime`:
 * [{t0, t1, calls, failures, rate (calls/s, null while under half of the bucket has passed), errorRate (0..1, null
 * without calls), p50, p99}].
 * Buckets after the playhead's time are left out, so a chart stops at the playhead.
 */
export function bucketize(calls, { upToSeq, nowTime, bucketMs }) {
  const count = Math.max(1, Math.ceil((nowTime + 1) / bucketMs));
  const buckets = Array.from({ length: count }, (_, i) => ({
    t0: i * bucketMs, t1: (i + 1) * bucketMs, calls: 0, failures: 0, latencies: [],
  }));
  for (const call of calls) {
    if (call.seq > upToSeq) break;
    const b = buckets[Math.min(count - 1, Math.floor(call.time / bucketMs))];
    b.calls += 1;
    if (!call.ok) b.failures += 1;
    if (call.ms !== null && call.ms !== undefined) b.latencies.push(call.ms);
  }
  return buckets.map(({ latencies, ...b }) => ({
    ...b,
    rate: rateOver(b, nowTime, bucketMs),
    errorRate: b.calls ? b.failures / b.calls : null,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  }));
}

/** Calls per second in a bucket; the bucket the playhead is in counts only its elapsed part (null under half). */
function rateOver(bucket, nowTime, bucketMs) {
  const span = Math.min(bucketMs, nowTime + 1 - bucket.t0);
  return span * 2 < bucketMs ? null : (bucket.calls * 1000) / span;
}

/** Return totals over the calls finished at or before `upToSeq`. */
export function totals(calls, upToSeq) {
  let n = 0;
  let failed = 0;
  for (const call of calls) {
    if (call.seq > upToSeq) break;
    n += 1;
    if (!call.ok) failed += 1;
  }
  return { calls: n, failures: failed, errorRate: n ? failed / n : null };
}


/** Return an SVG path through the points whose y is not null; a null y breaks the line. */
export function linePath(points, x, y) {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (p.y === null || p.y === undefined) { pen = false; continue; }
    d += `${pen ? 'L' : 'M'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`;
    pen = true;
  }
  return d;
}


// ------------------------------------------------------------------- DOM

/** The charts: [{key, label, unit, floor or fixedMax, scale, series: [{field, colour, dash, key, label}]}]. */
const CHARTS = [
  { key: 'services.rates.requests', label: 'Requests per second', unit: '/s', floor: 1,
    series: [{ field: 'rate', colour: PALETTE.blue, key: 'services.rates.callsPerS', label: 'calls/s' }] },
  { key: 'services.rates.errors', label: 'Error rate', unit: '%', fixedMax: 100, scale: 100,
    series: [{ field: 'errorRate', colour: PALETTE.vermillion, key: 'services.rates.failedPct', label: 'failed %' }] },
  { key: 'services.rates.latency', label: 'Latency (virtual ms)', unit: 'ms', floor: 10,
    series: [{ field: 'p50', colour: PALETTE.black, key: 'services.rates.p50', label: 'p50' },
      { field: 'p99', colour: PALETTE.orange, dash: '7 4', key: 'services.rates.p99', label: 'p99' }] },
];

/** Return the panel entry for calls read by `extract` (see the header): the calls folded, then charted. */
export function ratesPanelFor(extract = defaultExtract) {
  return definePanel({
    id: 'services-rates',
    labelKey: 'services.rates.tab',
    label: 'Calls over time',
    folds: { calls: callsFold(extract) },
    mount(el, { tr }) {
      const summary = h('p', { class: 'svc-rates-summary' });
      const figures = CHARTS.map((chart) => {
        const box = h('figure', { class: 'svc-chart' }, h('figcaption', {}, tr(chart.key, chart.label)));
        const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: '100%', role: 'img',
          'aria-label': tr(chart.key, chart.label) });
        box.append(root);
        return { chart, box, root };
      });
      el.append(h('div', { class: 'svc-rates' }, summary, figures.map((f) => f.box)));
      return { summary, figures };
    },
    draw({ summary, figures }, { snap, tr, folds, timeline }) {
      const { calls } = folds.calls; // the calls finished up to the playhead
      const endTime = Math.max(timeline.lastTime, 1);
      const bucketMs = chooseBucket(endTime);
      const buckets = bucketize(calls, { upToSeq: snap.seq, nowTime: snap.time, bucketMs });
      const sum = totals(calls, snap.seq);
      fill(summary, tr('services.rates.summary', '{calls} calls, {failures} failed ({rate}) · buckets of {bucket} ms', {
        calls: sum.calls, failures: sum.failures, bucket: bucketMs,
        rate: sum.errorRate === null ? '—' : `${Math.round(sum.errorRate * 100)}%`,
      }));
      for (const f of figures) draw(f, buckets, endTime, snap.time, tr);
    },
  });
}

function draw({ chart, root }, buckets, endTime, nowTime, tr) {
  const scaleBy = chart.scale || 1;
  const values = buckets.flatMap((b) => chart.series.map((s) => (b[s.field] ?? 0) * scaleBy));
  const top = chart.fixedMax || niceMax(Math.max(0, ...values), chart.floor || 1);
  const x = linear([0, endTime], [PAD.left, WIDTH - PAD.right]);
  const y = linear([0, top], [HEIGHT - PAD.bottom, PAD.top]);
  const parts = [
    svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0), stroke: '#444' }),
    svg('line', { x1: PAD.left, x2: PAD.left, y1: y(0), y2: y(top), stroke: '#444' }),
    label(PAD.left - 6, y(top) + 5, `${top}${chart.unit}`, 'end'),
    label(PAD.left - 6, y(0), `0`, 'end'),
    label(PAD.left, HEIGHT - 4, '0 ms', 'start'),
    label(WIDTH - PAD.right, HEIGHT - 4, `${endTime} ms`, 'end'),
    svg('line', { x1: x(nowTime), x2: x(nowTime), y1: y(0), y2: y(top), stroke: '#777', 'stroke-dasharray': '3 3' }),
  ];
  chart.series.forEach((s, i) => {
    const points = buckets.map((b) => ({ x: (b.t0 + b.t1) / 2, y: b[s.field] === null ? null : b[s.field] * scaleBy }));
    parts.push(svg('path', { d: linePath(points, x, y), fill: 'none', stroke: s.colour, 'stroke-width': 3,
      'stroke-dasharray': s.dash || 'none' }));
    const legend = label(WIDTH - PAD.right - 4, PAD.top + 12 + i * 16, tr(s.key, s.label), 'end');
    legend.setAttribute('fill', s.colour);
    parts.push(legend);
  });
  root.replaceChildren(...parts);
}

function label(x, y, text, anchor) {
  const el = svg('text', { x, y, 'text-anchor': anchor, 'font-size': 15, fill: '#111' });
  el.textContent = text;
  return el;
}

/** The panel entry an encoding table lists (other services protocols may list it too). */
export const ratesPanel = ratesPanelFor(defaultExtract);
