// The services panels' pure parts: breaker rows and geometry, the call waterfall, the encodings.
//
// The fixtures are real traces (tests/protocols/test_invocation_scenarios.py checks they still
// match what the engine produces): idempotent-retry in service-invocation and in service-mesh,
// where u1's first call executes, its reply is lost, and the retry is answered from the stored
// result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import { encodingFor } from '../protocols/index.js';
import { breakerRows, machineGeometry, machineOf, rowsKey } from '../panels/services-breakers.js';
import { buildSpans, callSummaries, defaultCall, waterfallLayout } from '../panels/services-waterfall.js';

const load = (name) => JSON.parse(fs.readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const rolesOf = (trace) => Object.fromEntries(Object.entries(trace.final).map(([n, f]) => [n, f.role]));
const INVOCATION = load('invocation-idempotent-retry');
const MESH = load('mesh-idempotent-retry');

// ------------------------------------------------------------- waterfall

test('calls are listed in order of first appearance with their attempts and outcome', () => {
  assert.deepEqual(callSummaries(INVOCATION.events), [
    { id: 'u1-1', attempts: 2, done: true, ok: true },
    { id: 'u1-2', attempts: 1, done: true, ok: true },
    { id: 'u1-3', attempts: 1, done: true, ok: true },
  ]);
  const early = callSummaries(INVOCATION.events, 20);
  assert.deepEqual(early, [{ id: 'u1-1', attempts: 1, done: false, ok: null }], 'only what the playhead has reached');
});

test('the default call is the chosen one, else the first retried one, else the first', () => {
  const calls = callSummaries(INVOCATION.events);
  assert.equal(defaultCall(calls), 'u1-1');
  assert.equal(defaultCall(calls, 'u1-3'), 'u1-3');
  assert.equal(defaultCall(calls, 'u9-9'), 'u1-1', 'a choice that does not exist (yet) falls back');
  assert.equal(defaultCall([{ id: 'a', attempts: 1 }, { id: 'b', attempts: 3 }]), 'b');
  assert.equal(defaultCall([]), null);
});

test('invocation: the retried call as a tree of spans, the lost reply and the stored result', () => {
  const built = buildSpans(INVOCATION.events, 'u1-1', rolesOf(INVOCATION), Infinity, 1000);
  const rows = built.spans.map((s) => [s.depth, s.kind, s.status]);
  assert.deepEqual(rows, [
    [0, 'call', 'ok'],
    [1, 'attempt', 'timeout'],
    [2, 'hop', 'hop'], [2, 'work', 'work'], [2, 'hop', 'lost'],
    [1, 'attempt', 'deduped'],
    [2, 'hop', 'hop'], [2, 'work', 'deduped'], [2, 'hop', 'hop'],
  ]);
  const [call, first, , work] = built.spans;
  assert.match(call.label, /^u1-1 · 2 attempt\(s\) · ok · 113 ms$/);
  assert.equal(call.end - call.start, 113);
  assert.equal(first.label, 'attempt 1 → p1 (timeout)');
  assert.match(work.label, /p1 executes → p1#1/);
  assert.match(built.spans[7].label, /stored result p1#1/);
  assert.equal(built.start, call.start);
  assert.equal(built.end, call.end);
  for (const s of built.spans) assert.ok(s.end >= s.start && !s.open, `${s.label}: closed and not backwards`);
});

test('at an earlier playhead the call and its attempt are still open', () => {
  const send = INVOCATION.events.find((e) => e.kind === 'send' && e.message.type === 'call');
  const built = buildSpans(INVOCATION.events, 'u1-1', rolesOf(INVOCATION), send.seq, send.time + 5);
  assert.deepEqual(built.spans.map((s) => [s.kind, s.open]), [['call', true], ['attempt', true], ['hop', true]]);
  assert.equal(built.spans[0].end, send.time + 5, 'open spans run to the playhead');
});

test('mesh: six hops per attempt round trip, the app hops hang off the call', () => {
  const built = buildSpans(MESH.events, 'u1-1', rolesOf(MESH), Infinity, 2000);
  const top = built.spans.filter((s) => s.depth === 1).map((s) => s.label);
  assert.deepEqual(top, ['u1 → u1-sidecar CALL', 'attempt 1 → p1-sidecar (timeout)', 'attempt 2 → p1-sidecar (deduped)',
    'u1-sidecar → u1 RESULT']);
  const second = built.spans.slice(built.spans.findIndex((s) => s.label.startsWith('attempt 2')) + 1)
    .filter((s) => s.depth === 2).map((s) => s.label);
  assert.deepEqual(second, ['u1-sidecar → p1-sidecar CALL', 'p1-sidecar → p1 CALL', 'p1 answers from the stored result p1#1',
    'p1 → p1-sidecar REPLY', 'p1-sidecar → u1-sidecar REPLY']);
});

test('a call nobody made has no spans', () => {
  assert.deepEqual(buildSpans(INVOCATION.events, 'u7-7', rolesOf(INVOCATION)), { start: 0, end: 0, spans: [] });
});

test('the waterfall layout keeps time order and a minimum bar width', () => {
  const built = buildSpans(INVOCATION.events, 'u1-1', rolesOf(INVOCATION), Infinity, 1000);
  const rows = waterfallLayout(built, { width: 900, labelWidth: 400, rowHeight: 30 });
  assert.equal(rows[0].x, 400);
  assert.ok(Math.abs(rows[0].x + rows[0].w - (900 - 70)) < 1e-9, 'the whole call spans the chart');
  rows.forEach((r, i) => {
    assert.equal(r.y, i * 30);
    assert.ok(r.w >= 3);
  });
  const lost = rows.find((r) => r.status === 'lost');
  assert.equal(lost.w, 3, 'a zero-length span stays visible');
});

// -------------------------------------------------------------- breakers

const BREAKER = (state, extra = {}) => ({ state, failures: 0, since: 0, trials: 0, ok: 0, opened: 0, half_opened: 0,
  closed: 0, reopened: 0, ...extra });

// The breaker's machine as the catalogue carries it (facts.breaker): protocols/common/calls/breaker.py's
// machine(), written out by tests/protocols/test_invocation_governance.py, which checks it is current.
const MACHINE = JSON.parse(fs.readFileSync(new URL('./breaker-machine.json', import.meta.url), 'utf8'));

const NODES = [
  { name: 'u1', role: 'consumer', up: true, state: { phase: 'calling', policy: { version: 1, breaker: true,
    failure_threshold: 3, cooldown_ms: 150, half_open_trials: 1 },
  breakers: { p1: BREAKER('half-open', { opened: 2, half_opened: 2, reopened: 1, failures: 3 }), p2: BREAKER('closed') } } },
  { name: 'p1', role: 'provider', up: true, state: { phase: 'idle' } },
  { name: 'u2-sidecar', role: 'consumer-sidecar', up: false, state: { phase: 'ready', version: 2,
    policy: { version: 2, breaker: false }, breakers: {} } },
];

test('breaker rows: one per caller, with its policy, each breaker with its edge counts', () => {
  const rows = breakerRows(NODES, MACHINE);
  assert.deepEqual(rows.map((r) => [r.caller, r.up, r.version, r.enabled]), [['u1', true, 1, true], ['u2-sidecar', false, 2, false]]);
  assert.deepEqual(rows[0].policy, { threshold: 3, cooldown: 150, trials: 1 });
  const [p1, p2] = rows[0].breakers;
  assert.equal(p1.endpoint, 'p1');
  assert.equal(p1.state, 'half-open');
  assert.deepEqual(p1.counts, { opened: 2, half_opened: 2, closed: 0, reopened: 1 });
  assert.equal(p1.transitions, 5);
  assert.equal(p2.transitions, 0);
  assert.deepEqual(rows[1].breakers, []);
});

test('the redraw key changes when a breaker moves and only then', () => {
  const before = rowsKey(breakerRows(NODES, MACHINE));
  assert.equal(rowsKey(breakerRows(structuredClone(NODES), MACHINE)), before);
  const moved = structuredClone(NODES);
  moved[0].state.breakers.p1 = BREAKER('closed', { opened: 2, half_opened: 2, reopened: 1, closed: 1 });
  assert.notEqual(rowsKey(breakerRows(moved, MACHINE)), before);
});

test('the state machine drawing: three labelled states apart, one edge per legal move', () => {
  assert.equal(machineOf({ facts: { breaker: MACHINE } }), MACHINE, 'read from the catalogue entry');
  assert.deepEqual(machineOf(null).edges, [], 'no entry: nothing to draw, nothing invented');
  const g = machineGeometry(MACHINE, 320, 190);
  assert.deepEqual(Object.keys(g.states).sort(), [...MACHINE.states].sort());
  const boxes = Object.values(g.states);
  for (const b of boxes) assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= 320 && b.y + b.h <= 190, 'inside the box');
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) {
      const [a, b] = [boxes[i], boxes[j]];
      const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      assert.ok(apart, 'states do not overlap');
    }
  }
  assert.deepEqual(g.edges.map((e) => e.counter).sort(), [...MACHINE.edges.map((e) => e.counter)].sort());
  const more = { ...MACHINE, edges: [...MACHINE.edges, { from: 'open', to: 'closed', counter: 'forced' }] };
  assert.ok(machineGeometry(more).edges.find((e) => e.counter === 'forced').path.startsWith('M'), 'a new edge is drawn too');
});

// ------------------------------------------------------------- encodings

test('service-invocation: call labels carry the call and its attempt, panels are listed', () => {
  const enc = encodingFor('service-invocation');
  assert.equal(enc.known, true);
  assert.deepEqual(enc.roleOrder, ['consumer', 'provider']);
  assert.equal(enc.messageLabel({ type: 'call', body: { call: 'u1-3', attempt: 2 } }), 'CALL u1-3 #2');
  assert.equal(enc.messageLabel({ type: 'reply', body: { call: 'u1-3', deduped: true } }), 'REPLY u1-3 (stored)');
  assert.equal(enc.messageLabel({ type: 'error', body: { error: 'overloaded' } }), 'ERROR overloaded');
  assert.notEqual(enc.phase('queueing').colour, enc.phase('idle').colour);
  assert.deepEqual(enc.panels.map((p) => p.id), ['services-breakers', 'services-waterfall', 'services-rates']);
});

test('service-mesh: sidecars look unlike services, each beside its own; policy messages name their version', () => {
  const enc = encodingFor('service-mesh');
  assert.equal(enc.role('consumer-sidecar').shape, 'hexagon');
  assert.equal(enc.role('provider-sidecar').shape, 'hexagon');
  assert.notEqual(enc.role('consumer').shape, enc.role('consumer-sidecar').shape);
  assert.equal(enc.roleOrder[0], 'control', 'the control plane is the leader row');
  assert.equal(enc.messageLabel({ type: 'policy', body: { version: 2 } }), 'POLICY v2');
  assert.equal(enc.messageLabel({ type: 'policy_ack', body: { version: 2 } }), 'ACK v2');
  assert.equal(enc.messageLabel({ type: 'result', body: { call: 'u1-1', ok: false } }), 'RESULT u1-1 failed');
  assert.equal(enc.messageLabel({ type: 'call', body: { call: 'u1-1', attempt: 1 } }), 'CALL u1-1 #1');
  assert.equal(enc.phase('waiting').label, 'waiting for policy');
});
