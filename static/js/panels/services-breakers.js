// Circuit breakers at the playhead: one small state machine per caller × provider.
//
// Each breaker is drawn as its three states (closed, open, half-open), labelled in words and
// coloured (closed bluish green, open vermillion, half-open orange); the current one is filled
// and ringed in black, the others are outlines. Each edge carries how many times the breaker has
// taken it. Above each caller's row: the policy its breakers follow (threshold, cool-down, trials,
// and in the mesh the policy version), because that is where the policy lives.
//
// Callers are the nodes whose state holds a `policy` (service-invocation's consumers,
// service-mesh's consumer sidecars). The machine itself (its states, and each legal edge with the
// counter the breaker keeps for it) is the protocol's: protocols/common/calls/breaker.py declares it
// and the catalogue entry carries it (`facts.breaker`); nothing here lists the edges. Pure parts
// (rows, geometry) are tested in static/js/tests/invocation.test.js; the DOM code only draws what
// they return.

import { h, fill } from '../dom.js';
import { PALETTE, inkFor } from '../protocols/palette.js';
import { definePanel, svg } from './define.js';


export const STATE_COLOUR = { closed: PALETTE.green, open: PALETTE.vermillion, 'half-open': PALETTE.orange };
const NO_MACHINE = { states: [], edges: [] };

/** Return the breaker's machine from the page's catalogue entry ({states, edges: [{from, to, counter}]}). */
export function machineOf(catalogue) {
  const machine = catalogue && catalogue.facts ? catalogue.facts.breaker : null;
  return machine && Array.isArray(machine.states) && Array.isArray(machine.edges) ? machine : NO_MACHINE;
}

/** Return every caller at the playhead: {caller, up, version, enabled, policy, breakers: [...]}, in node order. */
export function breakerRows(nodes, machine = NO_MACHINE) {
  const callers = [];
  for (const node of nodes) {
    const s = node.state || {};
    if (!s.policy || !('breakers' in s)) continue;
    const breakers = Object.entries(s.breakers || {}).map(([endpoint, b]) => {
      const counts = Object.fromEntries(machine.edges.map((e) => [e.counter, b[e.counter] || 0]));
      return { endpoint, state: b.state, failures: b.failures || 0, since: b.since ?? 0, counts,
        transitions: Object.values(counts).reduce((a, n) => a + n, 0) };
    });
    callers.push({
      caller: node.name, up: node.up !== false, version: s.version ?? s.policy.version ?? null,
      enabled: Boolean(s.policy.breaker), breakers,
      policy: { threshold: s.policy.failure_threshold, cooldown: s.policy.cooldown_ms, trials: s.policy.half_open_trials },
    });
  }
  return callers;
}

/**
 * Return the geometry of the machine's edges in a w × h box: {states: {name: {x, y, w, h}}, edges: [...]},
 * one drawn edge ({counter, path, label}) per edge of `machine`. Closed top left, open top right,
 * half-open below between them; the two edges out of half-open curve outwards on either side so that
 * no two arrows (or their counts) cross. An edge the layout does not know is a straight arrow.
 */
export function machineGeometry(machine = NO_MACHINE, w = 320, h = 190) {
  const bw = 108;
  const bh = 40;
  const states = {
    closed: { x: 10, y: 18, w: bw, h: bh },
    open: { x: w - bw - 10, y: 18, w: bw, h: bh },
    'half-open': { x: (w - bw) / 2, y: h - bh - 10, w: bw, h: bh },
  };
  const c = states.closed;
  const o = states.open;
  const half = states['half-open'];
  const hy = half.y + bh / 2;
  const drawn = {
    'closed>open': { path: `M${c.x + bw},${c.y + bh / 2} L${o.x - 2},${o.y + bh / 2}`,
      label: { x: w / 2, y: c.y + bh / 2 - 8 } },
    'open>half-open': { path: `M${o.x + 22},${o.y + bh} L${half.x + bw - 18},${half.y - 2}`,
      label: { x: (o.x + 22 + half.x + bw - 18) / 2 - 16, y: (o.y + bh + half.y) / 2 + 4 } },
    'half-open>open': { path: `M${half.x + bw},${hy} Q${o.x + bw - 14},${hy} ${o.x + bw - 24},${o.y + bh + 2}`,
      label: { x: o.x + bw - 6, y: hy - 8 } },
    'half-open>closed': { path: `M${half.x},${hy} Q${c.x + 14},${hy} ${c.x + 24},${c.y + bh + 2}`,
      label: { x: c.x + 6, y: hy - 8 } },
  };
  const centre = (box) => ({ x: box.x + box.w / 2, y: box.y + box.h / 2 });
  const edges = machine.edges.filter((e) => states[e.from] && states[e.to]).map((e) => {
    const known = drawn[`${e.from}>${e.to}`];
    if (known) return { counter: e.counter, ...known };
    const a = centre(states[e.from]);
    const b = centre(states[e.to]);
    return { counter: e.counter, path: `M${a.x},${a.y} L${b.x},${b.y}`, label: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 8 } };
  });
  return { width: w, height: h, states, edges };
}

/** Return a short key of what is drawn, so a frame that changes nothing redraws nothing. */
export function rowsKey(callers) {
  return JSON.stringify(callers.map((c) => [c.caller, c.up, c.version, c.enabled,
    c.breakers.map((b) => [b.endpoint, b.state, b.failures, b.transitions])]));
}

// ------------------------------------------------------------------- DOM


const STATE_TEXT = { closed: ['services.breakers.closed', 'closed'], open: ['services.breakers.open', 'open'],
  'half-open': ['services.breakers.halfOpen', 'half-open'] };

function drawMachine(breaker, machine, tr, arrowId) {
  const g = machineGeometry(machine);
  const root = svg('svg', { viewBox: `0 0 ${g.width} ${g.height}`, width: g.width, height: g.height, role: 'img',
    'aria-label': tr('services.breakers.aria', '{endpoint}: {state}', { endpoint: breaker.endpoint,
      state: tr(...STATE_TEXT[breaker.state] || [breaker.state, breaker.state]) }) });
  const defs = svg('defs');
  const marker = svg('marker', { id: arrowId, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#333' }));
  defs.append(marker);
  root.append(defs);
  for (const edge of g.edges) {
    const count = breaker.counts[edge.counter] || 0;
    root.append(svg('path', { d: edge.path, fill: 'none', stroke: count ? '#222' : '#999', 'stroke-width': count ? 2.5 : 1.5,
      'marker-end': `url(#${arrowId})` }));
    const label = svg('text', { x: edge.label.x, y: edge.label.y, 'text-anchor': 'middle', 'font-size': 16,
      'font-weight': 'bold', fill: count ? '#000' : '#777' });
    label.textContent = `×${count}`;
    root.append(label);
  }
  for (const name of machine.states.filter((s) => g.states[s])) {
    const box = g.states[name];
    const current = breaker.state === name;
    root.append(svg('rect', { x: box.x, y: box.y, width: box.w, height: box.h, rx: 10,
      fill: current ? STATE_COLOUR[name] : '#fff', stroke: current ? '#000' : STATE_COLOUR[name],
      'stroke-width': current ? 4 : 2.5 }));
    const text = svg('text', { x: box.x + box.w / 2, y: box.y + box.h / 2 + 6, 'text-anchor': 'middle', 'font-size': 17,
      'font-weight': current ? 'bold' : 'normal', fill: current ? inkFor(STATE_COLOUR[name]) : '#000' });
    text.textContent = (current ? '● ' : '') + tr(...STATE_TEXT[name]);
    root.append(text);
  }
  return root;
}

/** Redraw when what is drawn changed: the callers' breakers, by rowsKey. */
function breakersChanged(frame, ctx) {
  return rowsKey(breakerRows(frame.snapshot.nodes || [], machineOf(ctx.catalogue)));
}

function callerBlock(c, machine, tr) {
  const policy = c.enabled
    ? tr('services.breakers.policy', 'opens after {threshold} failures in a row · cool-down {cooldown} ms · {trials} trial(s)',
      c.policy)
    : tr('services.breakers.off', 'breakers are off in this policy');
  const version = c.version !== null && c.version !== undefined
    ? ` · ${tr('services.breakers.version', 'policy v{version}', { version: c.version })}` : '';
  const head = h('h3', { style: 'font-size:1.25rem;margin:0.6rem 0 0.2rem' },
    `${c.caller}${c.up ? '' : ` (${tr('node.crashed', 'crashed')})`}: `, h('span', { style: 'font-weight:normal' }, policy + version));
  const cards = c.breakers.map((b) => h('figure', { style: 'display:inline-block;margin:0.3rem 0.8rem 0.3rem 0;text-align:center' },
    h('figcaption', { style: 'font-size:1.1rem;font-weight:bold' },
      `${c.caller} → ${b.endpoint}`,
      h('span', { style: 'font-weight:normal' }, ` · ${b.state === 'closed'
        ? tr('services.breakers.failures', '{n} failures in a row', { n: b.failures })
        : tr('services.breakers.tripped', 'tripped after {n} failures', { n: b.failures })}`)),
    drawMachine(b, machine, tr, `svc-arrow-${c.caller}-${b.endpoint}`)));
  return h('section', {}, head, cards);
}

/** The panel entry an encoding table lists: every caller's breakers at the playhead, drawn. */
export const breakersPanel = definePanel({
  id: 'services-breakers',
  labelKey: 'services.breakers.tab',
  label: 'Circuit breakers',
  changed: breakersChanged,
  mount(el, { ctx }) {
    const body = h('div', { class: 'svc-breakers' });
    el.append(body);
    return { body, machine: machineOf(ctx.catalogue) };
  },
  draw({ body, machine }, { snap, tr }) {
    const callers = breakerRows(snap.nodes || [], machine);
    if (!callers.length) {
      fill(body, h('p', {}, tr('services.breakers.none', 'No caller keeps breakers in this run.')));
      return;
    }
    fill(body, callers.map((c) => callerBlock(c, machine, tr)));
  },
});
