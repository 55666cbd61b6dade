// The websocket client's pure parts (gap detection, resync, reset, backoff) and the client itself
// against a fake WebSocket and a fake clock: no network, no sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  createSync, syncFrame, backoffDelay, helloFrame, LabSocket,
  PING_IDLE_MS, DEAD_AFTER_MS, BEHIND_GRACE_MS, BACKOFF_CAP_MS, CLOSE_NO_SESSION,
} from '../socket.js';

const ev = (seq) => ({ seq, time: seq, step: seq, kind: 'note', node: 'a', text: `e${seq}` });
const events = (from, to, generation = 1) => ({
  type: 'events', generation, from_seq: from, seq: to,
  events: Array.from({ length: to - from + 1 }, (_, i) => ev(from + i)),
});
const welcome = (generation = 1, seq = 0) => ({ type: 'welcome', role: 'watcher', generation, seq, session: {} });

/** Feed frames in order; return the final sync and everything that was decided. */
function feed(frames, sync = createSync()) {
  const ready = [];
  const resyncs = [];
  const behind = [];
  let resets = 0;
  for (const frame of frames) {
    const out = syncFrame(sync, frame);
    sync = out.sync;
    if (out.reset) { resets += 1; ready.length = 0; }
    ready.push(...out.ready.map((e) => e.seq));
    if (out.resyncFrom !== null) resyncs.push(out.resyncFrom);
    if (out.behindTo !== null) behind.push(out.behindTo);
  }
  return { sync, ready, resyncs, behind, resets };
}

test('contiguous frames pass straight through', () => {
  const r = feed([welcome(), events(1, 3), events(4, 9)]);
  assert.deepEqual(r.ready, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(r.sync.last, 9);
  assert.deepEqual(r.resyncs, []);
});

test('a gap asks for a resync from the last contiguous seq, and the repair fills in order', () => {
  const r = feed([welcome(), events(1, 3), events(7, 9)]);
  assert.deepEqual(r.ready, [1, 2, 3]);
  assert.deepEqual(r.resyncs, [3]);
  assert.equal(r.sync.buffer.size, 3);
  const fixed = feed([events(4, 9)], r.sync);
  assert.deepEqual(fixed.ready, [4, 5, 6, 7, 8, 9]);
  assert.equal(fixed.sync.buffer.size, 0);
  assert.deepEqual(fixed.resyncs, []);
});

test('a partial repair asks again from where it got to', () => {
  const r = feed([welcome(), events(1, 2), events(10, 12), events(3, 5)]);
  assert.deepEqual(r.ready, [1, 2, 3, 4, 5]);
  assert.deepEqual(r.resyncs, [2, 5]);
});

test('duplicates (a resync overlapping what we hold) are dropped, not re-emitted', () => {
  const r = feed([welcome(), events(1, 5), events(3, 8), events(1, 8)]);
  assert.deepEqual(r.ready, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(r.resyncs, []);
});

test('hot and pong above our seq say we are behind; at or below, nothing', () => {
  const base = feed([welcome(), events(1, 4)]).sync;
  assert.deepEqual(feed([{ type: 'hot', generation: 1, seq: 4, hot: { seq: 9 } }], base).behind, [9]);
  assert.deepEqual(feed([{ type: 'hot', generation: 1, seq: 4, hot: { seq: 4 } }], base).behind, []);
  assert.deepEqual(feed([{ type: 'pong', generation: 1, seq: 6 }], base).behind, [6]);
  assert.deepEqual(feed([{ type: 'pong', generation: 1, seq: 3 }], base).behind, []);
  assert.deepEqual(feed([{ type: 'hot', generation: 0, seq: 4, hot: { seq: 99 } }], base).behind, [],
    'a hot of another generation says nothing about ours');
});

test('reset: a status with reset starts the new generation at seq 1', () => {
  const r = feed([welcome(1), events(1, 6), { type: 'status', generation: 2, seq: -1, reset: true },
    events(1, 2, 2)]);
  assert.equal(r.resets, 1);
  assert.deepEqual(r.ready, [1, 2]);
  assert.equal(r.sync.generation, 2);
  assert.equal(r.sync.last, 2);
});

test('a reset whose events overtook it keeps them, and asks for the rest at once', () => {
  const r = feed([welcome(1), events(1, 6), events(1, 3, 2), { type: 'status', generation: 2, seq: -1, reset: true }]);
  assert.equal(r.resets, 1);
  assert.deepEqual(r.ready, [1, 2, 3]);
  assert.deepEqual(r.resyncs, [3]);
  const plain = feed([welcome(1), events(1, 6), { type: 'status', generation: 2, seq: -1, reset: true }]);
  assert.deepEqual(plain.resyncs, [0], 'nothing of the new generation yet: ask from the start');
});

test('a welcome of another generation resets; stale frames of the old one are ignored', () => {
  const r = feed([welcome(1), events(1, 6), welcome(2), events(5, 6, 1), events(1, 3, 2)]);
  assert.equal(r.resets, 1);
  assert.deepEqual(r.ready, [1, 2, 3]);
  const lostStatus = feed([welcome(1), events(1, 6), events(1, 2, 2)]);
  assert.equal(lostStatus.resets, 1, 'events of a newer generation mean the reset was missed');
  assert.deepEqual(lostStatus.ready, [1, 2]);
});

test('syncFrame never changes the state it is given', () => {
  const sync = feed([welcome(), events(1, 2), events(5, 6)]).sync;
  const copy = { ...sync, buffer: new Map(sync.buffer) };
  syncFrame(sync, events(3, 4));
  assert.deepEqual(sync, copy);
});

test('backoff doubles to a cap, with jitter in the upper half', () => {
  assert.equal(backoffDelay(0, () => 0), 125);
  assert.equal(backoffDelay(0, () => 1), 250);
  assert.equal(backoffDelay(3, () => 1), 2000);
  assert.equal(backoffDelay(30, () => 1), BACKOFF_CAP_MS);
  assert.equal(backoffDelay(30, () => 0), BACKOFF_CAP_MS / 2);
});

test('hello carries the last seq, the generation once known, and the token if any', () => {
  assert.deepEqual(helloFrame(createSync(), null), { type: 'hello', last_seq: 0 });
  const sync = feed([welcome(3), events(1, 4, 3)]).sync;
  assert.deepEqual(helloFrame(sync, 'tok'), { type: 'hello', last_seq: 4, generation: 3, token: 'tok' });
});

// ---------------------------------------------------------------- the client, with fakes

class FakeClock {
  constructor() { this.now = 0; this.timers = []; this.id = 0; }
  setTimeout(fn, ms) { this.id += 1; this.timers.push({ id: this.id, at: this.now + ms, fn }); return this.id; }
  setInterval(fn, ms) { this.id += 1; this.timers.push({ id: this.id, at: this.now + ms, fn, every: ms }); return this.id; }
  clearTimeout(id) { this.timers = this.timers.filter((t) => t.id !== id); }
  clearInterval(id) { this.clearTimeout(id); }
  advance(ms) {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.now = due.at;
      if (due.every) due.at += due.every; else this.clearTimeout(due.id);
      due.fn();
    }
    this.now = end;
  }
}

function fakeWebSocket(sockets) {
  return class FakeWS {
    constructor(url) { this.url = url; this.sent = []; this.readyState = 0; sockets.push(this); }
    send(text) { this.sent.push(JSON.parse(text)); }
    close(code = 1000) { this.readyState = 3; if (this.onclose) this.onclose({ code }); }
    open() { this.readyState = 1; this.onopen(); }
    frame(obj) { this.onmessage({ data: JSON.stringify(obj) }); }
    drop(code = 1006) { this.readyState = 3; this.onclose({ code }); }
  };
}

function client(token = 'tok') {
  const clock = new FakeClock();
  const sockets = [];
  const seen = { events: [], states: [], resets: 0 };
  const sock = new LabSocket({
    url: 'ws://x/ws/sessions/s/', token, clock, now: () => clock.now, random: () => 0.5,
    WebSocketImpl: fakeWebSocket(sockets),
    handlers: {
      events: (list) => seen.events.push(...list.map((e) => e.seq)),
      state: (s) => seen.states.push(s),
      reset: () => { seen.resets += 1; seen.events = []; },
    },
  });
  sock.start();
  return { clock, sockets, seen, sock };
}

test('client: hello on open, live on welcome, resync on a gap', () => {
  const { sockets, seen } = client();
  const ws = sockets[0];
  ws.open();
  assert.deepEqual(ws.sent[0], { type: 'hello', last_seq: 0, token: 'tok' });
  ws.frame(welcome(1, 5));
  assert.deepEqual(seen.states, ['live']);
  ws.frame(events(1, 2));
  ws.frame(events(4, 5));
  assert.deepEqual(ws.sent[1], { type: 'resync', from_seq: 2 });
  ws.frame(events(3, 5));
  assert.deepEqual(seen.events, [1, 2, 3, 4, 5]);
});

test('client: a hot ahead of us resyncs only if its events do not follow within the grace', () => {
  const { clock, sockets } = client();
  const ws = sockets[0];
  ws.open();
  ws.frame(welcome());
  ws.frame(events(1, 2));
  ws.frame({ type: 'hot', generation: 1, seq: 2, hot: { seq: 4 } });
  ws.frame(events(3, 4));
  clock.advance(BEHIND_GRACE_MS + 1);
  assert.equal(ws.sent.filter((f) => f.type === 'resync').length, 0);
  ws.frame({ type: 'hot', generation: 1, seq: 4, hot: { seq: 7 } });
  clock.advance(BEHIND_GRACE_MS + 1);
  assert.deepEqual(ws.sent.filter((f) => f.type === 'resync'), [{ type: 'resync', from_seq: 4 }]);
});

test('client: pings when idle, reconnects a silent socket, says hello with what it holds', () => {
  const { clock, sockets, seen } = client();
  sockets[0].open();
  sockets[0].frame(welcome());
  sockets[0].frame(events(1, 3));
  clock.advance(PING_IDLE_MS + 1000);
  assert.ok(sockets[0].sent.some((f) => f.type === 'ping'));
  const pings = sockets[0].sent.filter((f) => f.type === 'ping').length;
  clock.advance(1000);
  assert.equal(sockets[0].sent.filter((f) => f.type === 'ping').length, pings, 'not a ping every tick');
  clock.advance(DEAD_AFTER_MS);
  assert.equal(seen.states.at(-1), 'reconnecting');
  clock.advance(BACKOFF_CAP_MS);
  assert.equal(sockets.length, 2);
  sockets[1].open();
  assert.deepEqual(sockets[1].sent[0], { type: 'hello', last_seq: 3, generation: 1, token: 'tok' });
});

test('client: a server restart (1006) reconnects with backoff; offline after many failures', () => {
  const { clock, sockets, seen } = client(null);
  sockets[0].open();
  sockets[0].frame(welcome());
  for (let i = 0; i < 8; i += 1) {
    sockets.at(-1).drop();
    clock.advance(BACKOFF_CAP_MS + 1);
  }
  assert.equal(sockets.length, 9, 'one new socket per attempt');
  assert.equal(seen.states.at(-1), 'offline');
  sockets.at(-1).open();
  sockets.at(-1).frame(welcome());
  assert.equal(seen.states.at(-1), 'live');
});

test('client: no such session (4404) stops for good', () => {
  const { clock, sockets, seen } = client(null);
  sockets[0].drop(CLOSE_NO_SESSION);
  clock.advance(60000);
  assert.equal(sockets.length, 1);
  assert.equal(seen.states.at(-1), 'offline');
});

test('client: reset drops what was received', () => {
  const { sockets, seen } = client(null);
  const ws = sockets[0];
  ws.open();
  ws.frame(welcome());
  ws.frame(events(1, 4));
  ws.frame({ type: 'status', generation: 2, seq: -1, reset: true });
  assert.equal(seen.resets, 1);
  ws.frame(events(1, 1, 2));
  assert.deepEqual(seen.events, [1]);
});

test('client: a summary frame (asked for by a compare page frame) goes to its handler, and changes no seq', () => {
  const clock = new FakeClock();
  const sockets = [];
  const got = [];
  const sock = new LabSocket({
    url: 'ws://x/ws/sessions/s/', clock, now: () => clock.now, random: () => 0.5, WebSocketImpl: fakeWebSocket(sockets),
    greeting: () => ({ summaries: true }), handlers: { summary: (frame) => got.push(frame.summary.seq) },
  });
  sock.start();
  sockets[0].open();
  assert.deepEqual(sockets[0].sent[0], { type: 'hello', summaries: true, last_seq: 0 });
  sockets[0].frame(welcome());
  sockets[0].frame(events(1, 2));
  sockets[0].frame({ type: 'summary', generation: 1, seq: 2, summary: { seq: 2, summary: {}, verdicts: {} } });
  assert.deepEqual(got, [2]);
  assert.equal(sock.sync.last, 2);
  assert.equal(sockets[0].sent.filter((f) => f.type === 'resync').length, 0);
});
