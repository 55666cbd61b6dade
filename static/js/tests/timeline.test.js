// The timeline store: append, seek, checkpoints, duplicates, reset, speed at 10,000+ events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Timeline, TimelineGapError, fromTrace } from '../timeline.js';
import { bigLog } from './helpers.js';

const load = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const crash = load('2pc-coordinator-crash.json');
const chaos = load('2pc-chaos.json');
const majority = load('2pc-majority-bug.json');

/** Fold the whole log with no checkpoints at all: the reference every seek must equal. */
function replayTo(trace, seq) {
  const t = new Timeline({ checkpointEvery: 1e9, invariants: Object.keys(trace.verdicts) });
  t.append(trace.events.slice(0, seq));
  return normal(t.seek(seq));
}

/** A snapshot with messages by id (records of a longer log know their later end). */
function normal(s) {
  return { ...s, inFlight: s.inFlight.map((m) => m.id) };
}

test('the head state equals the trace final state', () => {
  for (const trace of [crash, chaos, majority]) {
    const s = fromTrace(trace).seek(trace.events.length);
    for (const [name, fin] of Object.entries(trace.final)) {
      const node = s.nodeMap[name];
      assert.equal(node.role, fin.role, name);
      assert.equal(node.up, fin.up, name);
      assert.equal(node.paused, fin.paused, name);
      assert.deepEqual(node.state, fin.state, name);
      assert.deepEqual(node.durable, fin.durable, name);
    }
    assert.deepEqual(s.verdicts, trace.verdicts);
  }
});

test('seek gives the exact past state', () => {
  const t = fromTrace(crash);
  const s = t.seek(45); // the coordinator crashes at seq 45, after logging COMMIT
  assert.equal(s.seq, 45);
  assert.equal(s.time, 23);
  assert.equal(s.event.kind, 'crash');
  assert.equal(s.nodeMap.coordinator.up, false);
  assert.equal(s.nodeMap.coordinator.phase, 'committed');
  assert.deepEqual(s.nodeMap.coordinator.durable, [{ decision: 'commit', type: 'decision' }]);
  assert.deepEqual(s.nodes.map((n) => n.phase), ['committed', 'prepared', 'prepared', 'prepared']);
  assert.equal(s.captions.length, 0);
  assert.equal(t.seek(46).captions.length, 1);
  const before = t.seek(44);
  assert.equal(before.nodeMap.coordinator.up, true);
  const early = t.seek(18);
  assert.deepEqual(early.inFlight.map((m) => m.id), ['m1', 'm3', 'm5']);
  assert.deepEqual(early.nodeMap.p1.timers.map((x) => x.timer), ['prepare_timeout']);
  assert.deepEqual(t.seek(22).nodeMap.p3.timers, []);
  assert.equal(t.seek(0).nodes.length, 0);
  assert.equal(t.seek(1).nodes.length, 1);
  assert.equal(t.seek(999).seq, crash.events.length);
});

test('seeking through checkpoints equals a full replay, at every seq', () => {
  for (const trace of [crash, chaos, majority]) {
    for (const every of [1, 7, 32]) {
      const t = fromTrace(trace, { checkpointEvery: every });
      for (let seq = 0; seq <= trace.events.length; seq += 1) {
        assert.deepEqual(normal(t.seek(seq)), replayTo(trace, seq), `seq ${seq} every ${every}`);
      }
    }
  }
});

test('seeking backwards and forwards in any order gives the same states', () => {
  const t = fromTrace(chaos, { checkpointEvery: 16 });
  const order = [90, 3, 50, 50, 17, 98, 0, 64, 33];
  for (const seq of order) assert.deepEqual(normal(t.seek(seq)), replayTo(chaos, seq));
});

test('resync duplicates are harmless; a gap is refused', () => {
  const t = new Timeline({ invariants: Object.keys(crash.verdicts) });
  const ev = crash.events;
  assert.equal(t.append(ev.slice(0, 40)), 40);
  assert.equal(t.append(ev.slice(20, 60)), 20);
  assert.equal(t.append(ev.slice(0, 60)), 0);
  assert.equal(t.append(ev.slice(60)), ev.length - 60);
  assert.deepEqual(t.seek(ev.length), fromTrace(crash).seek(ev.length));
  assert.equal(t.messageList.length, new Set(t.messageList.map((m) => m.id)).size);
  assert.throws(() => t.append([{ ...ev[0], seq: ev.length + 2 }]), TimelineGapError);
});

test('reset drops everything; the next generation starts at seq 1', () => {
  const t = fromTrace(crash);
  t.reset();
  assert.equal(t.lastSeq, 0);
  assert.equal(t.seek(5).nodes.length, 0);
  assert.equal(t.messages.size, 0);
  t.append(chaos.events);
  assert.deepEqual(t.seek(chaos.events.length).nodes.map((n) => n.name), ['coordinator', 'p1', 'p2', 'p3']);
});

test('messages: life, status, duplicates, drops and window queries', () => {
  const t = fromTrace(chaos);
  const dup = t.messages.get('m5');
  assert.equal(dup.of, 'm3');
  assert.equal(dup.endKind, 'dropped');
  assert.equal(dup.reason, 'partition');
  assert.equal(t.messageStatus(dup, 4), 'future');
  assert.equal(t.messageStatus(dup, 5), 'flight');
  assert.equal(t.messageStatus(dup, 36), 'dropped');
  for (const m of t.messageList) {
    for (const seq of [m.sendSeq - 1, m.sendSeq, m.endSeq ?? t.lastSeq]) {
      const inFlight = t.seek(seq).inFlight.some((x) => x.id === m.id);
      assert.equal(inFlight, t.messageStatus(m, seq) === 'flight', `${m.id} at ${seq}`);
    }
  }
  const window = t.messagesBetween(30, 40);
  for (const m of t.messageList) {
    const end = m.endSeq ?? t.lastSeq;
    assert.equal(window.includes(m), m.sendSeq <= 40 && end >= 30, m.id);
  }
  assert.deepEqual(t.messagesEndedBetween(35, 36).map((m) => m.id), ['m5']);
});

test('indexes: intervals, phases, partitions, violations, step boundaries, time search', () => {
  const t = fromTrace(crash);
  assert.deepEqual(t.intervalsOf('coordinator'),
    [{ kind: 'down', startSeq: 45, startTime: 23, endSeq: 105, endTime: 1523 }]);
  assert.deepEqual(t.phasesOf('p1').map((p) => p.phase), ['working', 'prepared', 'committed']);
  assert.equal(t.nextStepEnd(0), 18);
  assert.equal(t.nextStepEnd(18), 24);
  assert.equal(t.nextStepEnd(20), 24);
  assert.equal(t.prevStepEnd(24), 18);
  assert.equal(t.prevStepEnd(20), 18);
  assert.equal(t.prevStepEnd(18), 0);
  assert.equal(t.nextStepEnd(t.lastSeq), t.lastSeq);
  assert.equal(t.seqAtTime(0), 18);
  assert.equal(t.seqAtTime(23), 46);
  assert.equal(t.seqAtTime(-1), 0);
  const c = fromTrace(chaos);
  assert.equal(c.partitions.length, 2);
  assert.deepEqual(c.partitions[0].groups, [['coordinator', 'p1', 'p3'], ['p2']]);
  assert.equal(c.partitions[0].endSeq, 45);
  assert.deepEqual(c.seek(30).partition, [['coordinator', 'p1', 'p3'], ['p2']]);
  assert.equal(c.seek(45).partition, null);
  const m = fromTrace(majority);
  assert.equal(m.seek(46).verdicts['commit-needs-all-yes'], 'holds');
  assert.equal(m.seek(47).verdicts['commit-needs-all-yes'], 'violated');
  assert.equal(m.seek(47).violations.length, 1);
});

test('pause, resume and clock events fold into the node view', () => {
  const t = new Timeline();
  t.append([
    { seq: 1, time: 0, step: 0, kind: 'start', node: 'a', role: 'r' },
    { seq: 2, time: 0, step: 0, kind: 'state', node: 'a', cause: 'init', state: { phase: 'x' } },
    { seq: 3, time: 5, step: 1, kind: 'pause', node: 'a', by: 'command' },
    { seq: 4, time: 6, step: 2, kind: 'clock', node: 'a', rate: 2, offset_ms: 10 },
    { seq: 5, time: 9, step: 3, kind: 'resume', node: 'a', by: 'command' },
  ]);
  assert.equal(t.seek(3).nodeMap.a.paused, true);
  assert.deepEqual(t.seek(4).nodeMap.a.clock, { rate: 2, offset_ms: 10 });
  assert.equal(t.seek(5).nodeMap.a.paused, false);
  assert.deepEqual(t.intervalsOf('a'), [{ kind: 'paused', startSeq: 3, startTime: 5, endSeq: 5, endTime: 9 }]);
});

test('stays fast at 12,000 events: append, then seeks anywhere', () => {
  const events = bigLog(12000);
  const t = new Timeline();
  let started = performance.now();
  for (let i = 0; i < events.length; i += 500) t.append(events.slice(i, i + 500));
  const appendMs = performance.now() - started;
  assert.equal(t.lastSeq, 12000);
  started = performance.now();
  for (let i = 0; i < 2000; i += 1) t.seek((i * 7919) % 12000);
  const seekMs = (performance.now() - started) / 2000;
  started = performance.now();
  for (let i = 0; i < 200; i += 1) t.messagesBetween(i * 50, i * 50 + 60);
  const windowMs = (performance.now() - started) / 200;
  assert.ok(appendMs < 500, `append took ${appendMs} ms`);
  assert.ok(seekMs < 2, `a seek took ${seekMs} ms`);
  assert.ok(windowMs < 2, `a window query took ${windowMs} ms`);
  const ref = new Timeline({ checkpointEvery: 1e9 });
  ref.append(events.slice(0, 11000));
  assert.deepEqual(normal(t.seek(11000)), normal(ref.seek(11000)));
});
