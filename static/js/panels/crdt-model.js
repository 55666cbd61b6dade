// Pure computations behind the replicated-counter panels (g-counter, pn-counter, counter-sharded,
// counter-bft): what the snapshot and the event log say, up to the playhead.
//
// Nothing here touches the DOM, so static/js/tests/crdt.test.js checks it with plain logs. The
// shapes are those of protocols/crdt, protocols/sharded and protocols/bft:
//   - a CRDT replica's state has `p` (and `n`), vectors replica -> count, and `amnesia`;
//   - a shard's state has `count`; a Byzantine replica's has `tags` and its phase is its behaviour;
//   - a client's state has `phase`, `ops`, `acked_inc`, `acked_dec`, `read`, and while reading
//     a shard's `answers` and `missing`;
//   - `add` carries `op` (and a BFT `tag`), `read_ok` carries `value`, `count` or `tags`.
import { foldLog } from './define.js';
import { withEnglish } from '../i18n.js';

export const KINDS = ['p', 'n'];

/** Compare node names by their number, so r10 comes after r9. */
export function byNumber(a, b) {
  const na = Number(String(a).replace(/\D+/g, '')) || 0;
  const nb = Number(String(b).replace(/\D+/g, '')) || 0;
  return na - nb || String(a).localeCompare(String(b));
}

/** Return a vector's entries in name order as "3·1·0" (short enough to ride on an arrow). */
export function vectorText(vector) {
  return Object.keys(vector || {}).sort(byNumber).map((k) => vector[k]).join('·');
}

function sum(vector) {
  return Object.values(vector || {}).reduce((a, b) => a + b, 0);
}

/** Return a CRDT replica's value: sum of P minus sum of N. */
export function crdtValue(state) {
  return sum(state.p) - sum(state.n);
}

function sameVectors(a, b) {
  return KINDS.every((k) => {
    const x = a[k] || {};
    const y = b[k] || {};
    return Object.keys({ ...x, ...y }).every((key) => (x[key] || 0) === (y[key] || 0));
  });
}

/**
 * Return the snapshot's CRDT replicas as table rows:
 * [{name, up, amnesia, value, columns: [replica names], rows: [{kind, cells: [n]}]}].
 */
export function vectorTables(snapshot) {
  const replicas = snapshot.nodes.filter((n) => n.role === 'replica' && n.state && n.state.p);
  const names = new Set(replicas.map((n) => n.name));
  for (const n of replicas) for (const k of KINDS) Object.keys(n.state[k] || {}).forEach((key) => names.add(key));
  const columns = [...names].sort(byNumber);
  return replicas.map((node) => ({
    name: node.name,
    up: node.up,
    amnesia: Boolean(node.state.amnesia),
    value: crdtValue(node.state),
    columns,
    rows: KINDS.filter((k) => node.state[k]).map((kind) => ({ kind, cells: columns.map((c) => node.state[kind][c] || 0) })),
  }));
}

/**
 * Say whether the running replicas agree: {converged, value, groups}. `groups` lists the
 * replicas holding each distinct pair of vectors, largest group first (one group: converged).
 */
export function convergence(snapshot) {
  const live = snapshot.nodes.filter((n) => n.role === 'replica' && n.up && n.state && n.state.p);
  const groups = [];
  for (const node of live) {
    const group = groups.find((g) => sameVectors(g.state, node.state));
    if (group) group.names.push(node.name);
    else groups.push({ state: node.state, names: [node.name] });
  }
  groups.sort((a, b) => b.names.length - a.names.length);
  return {
    converged: groups.length <= 1,
    value: groups.length ? crdtValue(groups[0].state) : null,
    groups: groups.map((g) => ({ names: g.names, value: crdtValue(g.state) })),
  };
}

const MERGES = new Set(['msg:gossip', 'msg:gossip_reply']);

/**
 * Return the vector cells that changed within `windowMs` before the playhead (event `upToSeq`):
 * {node: {"p:r2": how}}, how = "merge" (learnt from gossip), "own" (a client's operation) or
 * "recover". The latest change of a cell wins. Panels light these cells up for a moment.
 */
export function recentChanges(events, upToSeq, windowMs = 40) {
  const marks = {};
  const last = Math.min(upToSeq, events.length) - 1;
  if (last < 0) return marks;
  const since = events[last].time - windowMs;
  // Backwards from the playhead, only as far as the window reaches: a frame costs what it shows.
  const recent = [];
  for (let i = last; i >= 0 && events[i].time >= since; i -= 1) {
    const e = events[i];
    if (e.kind === 'state' && e.state && e.state.p) recent.push(i);
  }
  for (const i of recent.reverse()) {
    const e = events[i];
    const before = previousState(events, i, e.node);
    if (!before) continue;
    const how = MERGES.has(e.cause) ? 'merge' : e.cause === 'recover' ? 'recover' : 'own';
    for (const kind of KINDS) {
      const now = e.state[kind] || {};
      const was = before[kind] || {};
      for (const key of Object.keys({ ...now, ...was })) {
        if ((now[key] || 0) !== (was[key] || 0)) (marks[e.node] ||= {})[`${kind}:${key}`] = how;
      }
    }
  }
  return marks;
}

function previousState(events, index, node) {
  for (let i = index - 1; i >= 0; i -= 1) {
    const e = events[i];
    if (e.kind === 'state' && e.node === node) return e.state;
  }
  return null;
}

/** Return the snapshot's clients: acknowledged increments and decrements, and their reads. */
export function clientTotals(snapshot) {
  const clients = snapshot.nodes.filter((n) => n.role === 'client' && n.state);
  return {
    inc: clients.reduce((a, n) => a + (n.state.acked_inc || 0), 0),
    dec: clients.reduce((a, n) => a + (n.state.acked_dec || 0), 0),
    reads: clients.map((n) => ({ client: n.name, phase: n.state.phase, value: n.state.read ?? null,
      missing: n.state.missing || [], answers: n.state.answers || {} })),
  };
}

// ------------------------------------------------------------------ sharded

/**
 * Return the sharded counter at the playhead: {shards: [{name, count, up, hot}], total, down,
 * acked, max, reads, readMessages}. `total` adds the shares a read can reach now (running shards); `down` names
 * the others. `hot` marks a shard that counted an increment within `windowMs`.
 */
export function shardView(snapshot, events, upToSeq, windowMs = 40) {
  const hot = new Set();
  const end = events[Math.min(upToSeq, events.length) - 1];
  for (let i = Math.min(upToSeq, events.length) - 1; end && i >= 0; i -= 1) {
    const e = events[i];
    if (e.time < end.time - windowMs) break;
    if (e.kind === 'state' && e.cause === 'msg:add' && e.state && typeof e.state.count === 'number') hot.add(e.node);
  }
  const shards = snapshot.nodes.filter((n) => n.role === 'shard').sort((a, b) => byNumber(a.name, b.name))
    .map((n) => ({ name: n.name, count: (n.state && n.state.count) || 0, up: n.up, hot: hot.has(n.name) }));
  const totals = clientTotals(snapshot);
  return {
    shards,
    total: shards.filter((s) => s.up).reduce((a, s) => a + s.count, 0),
    down: shards.filter((s) => !s.up).map((s) => s.name),
    acked: totals.inc,
    max: Math.max(1, ...shards.map((s) => s.count)),
    reads: totals.reads.filter((r) => r.phase === 'reading' || r.phase === 'done'),
    readMessages: readCost(snapshot),
  };
}

/** Return what a read costs in messages, as the clients record it (`read_messages`), or null before any says. */
export function readCost(snapshot) {
  const client = snapshot.nodes.find((n) => n.role === 'client' && n.state && Number.isFinite(n.state.read_messages));
  return client ? client.state.read_messages : null;
}

// ---------------------------------------------------------------------- bft

/**
 * The Byzantine counter's log, as a fold (timeline.addIndex): per replica its behaviour, what it
 * stores and what it told each reader; per client what it acknowledged and issued, and the rule it
 * records; each read a client decided; the checker's verdict on each wrong read. `bftPicture` turns
 * it into what the panel shows. Replicas are replaced, never changed (checkpoints share them).
 */
export const BFT_LOG = {
  init: () => ({ roles: {}, replicas: {}, phase: {}, acked: {}, issued: {}, reads: [], judged: new Map(),
    rule: { f: null, quorum: null, counts_at: null } }),
  step(acc, e) {
    const { roles, replicas } = acc;
    if (e.kind === 'start') {
      roles[e.node] = e.role;
      if (e.role === 'replica') replicas[e.node] = { name: e.node, behaviour: 'honest', stored: 0, reported: {} };
    } else if (e.kind === 'state' && roles[e.node] === 'replica') {
      replicas[e.node] = { ...replicas[e.node], behaviour: e.state.phase, stored: (e.state.tags || []).length };
    } else if (e.kind === 'send' && e.message.type === 'read_ok' && replicas[e.src]) {
      const r = replicas[e.src];
      replicas[e.src] = { ...r, reported: { ...r.reported, [e.dst]: (e.message.body.tags || []).length } };
    } else if (e.kind === 'send' && e.message.type === 'add' && roles[e.src] === 'client') {
      acc.issued[e.src] = Math.max(acc.issued[e.src] || 0, e.message.body.op || 0);
    } else if (e.kind === 'state' && roles[e.node] === 'client') {
      const before = acc.phase[e.node];
      acc.phase[e.node] = e.state.phase;
      acc.acked[e.node] = e.state.acked_inc || 0;
      if (Number.isFinite(e.state.quorum)) acc.rule = e.state;
      if (e.state.phase === 'done' && before !== 'done' && e.state.read !== null && e.state.read !== undefined) {
        acc.reads.push({ client: e.node, seq: e.seq, value: e.state.read });
      }
    } else if (e.kind === 'violation' && e.invariant === 'read-equals-true-count' && e.finding) {
      acc.judged.set(e.cause_seq, e.finding.data || {});
    }
    return acc;
  },
  copy: (acc) => ({
    ...acc, roles: { ...acc.roles }, replicas: { ...acc.replicas }, phase: { ...acc.phase }, acked: { ...acc.acked },
    issued: { ...acc.issued }, reads: [...acc.reads], judged: new Map(acc.judged),
  }),
};

/**
 * Return the Byzantine counter's picture from the fold BFT_LOG:
 * {replicas: [{name, behaviour, stored, reported: {client: n}}], f, quorum, countsAt, acked, issued,
 *  reads: [{client, seq, value, correct, low, high}]}.
 * The rule's numbers are the clients' own (their state records f, the quorum and f + 1); a read is
 * wrong when the checker says so: a violation of read-equals-true-count caused by the read's
 * state event, whose finding's data holds the bounds it should have met (`low`, `high`). Until the
 * checker has spoken (or if it never does), a read counts as right.
 */
export function bftPicture(acc) {
  const list = Object.values(acc.replicas).sort((a, b) => byNumber(a.name, b.name));
  return {
    replicas: list, f: acc.rule.f, quorum: acc.rule.quorum, countsAt: acc.rule.counts_at, acked: total(acc.acked),
    issued: total(acc.issued),
    reads: acc.reads.map((r) => {
      const wrong = acc.judged.get(r.seq);
      return wrong ? { ...r, correct: false, low: wrong.low ?? null, high: wrong.high ?? null } : { ...r, correct: true };
    }),
  };
}

/** Fold a bare log up to `upToSeq` into the Byzantine counter's picture (see BFT_LOG and bftPicture). */
export function bftView(events, upToSeq) {
  return bftPicture(foldLog(BFT_LOG, events, upToSeq));
}

function total(map) {
  return Object.values(map).reduce((a, b) => a + b, 0);
}

/** The panels' translator: English beside each key (see i18n.js). */
export const translator = withEnglish;
