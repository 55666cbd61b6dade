// Test helpers: a synthetic, deterministic log as long as needed (for speed tests).

/** Return `n` events of a busy 2PC-like run over five nodes: messages, timers, faults, violations. */
export function bigLog(n) {
  const nodes = ['coordinator', 'p1', 'p2', 'p3', 'p4'];
  const events = [];
  let seq = 0;
  let time = 0;
  let step = 0;
  let msg = 0;
  const flying = [];
  const push = (e) => { if (seq < n) events.push({ seq: ++seq, time, step, ...e }); };
  for (const node of nodes) {
    push({ kind: 'start', node, role: node === 'coordinator' ? 'coordinator' : 'participant' });
    push({ kind: 'state', node, cause: 'init', state: { phase: 'init', round: 0 } });
  }
  let x = 12345;
  const rand = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  while (seq < n) {
    step += 1;
    time += 1 + Math.floor(rand() * 5);
    const src = nodes[step % nodes.length];
    const dst = nodes[(step * 3 + 1) % nodes.length];
    if (flying.length > 6 || (flying.length && rand() < 0.5)) {
      const m = flying.shift();
      const kind = rand() < 0.1 ? 'drop' : 'deliver';
      push({ kind, node: m.dest, src: m.src, dst: m.dest, message: m, ...(kind === 'drop' ? { reason: 'loss' } : { by: 'auto' }) });
      if (kind === 'deliver') push({ kind: 'state', node: m.dest, cause: 'msg:x', state: { phase: ['init', 'ready', 'done'][step % 3], round: step } });
    }
    if (src !== dst) {
      msg += 1;
      const m = { msg_id: `m${msg}`, src, dest: dst, type: ['prepare', 'vote', 'commit'][msg % 3], body: {} };
      flying.push(m);
      push({ kind: 'send', node: src, src, dst, due: time + 5, message: m });
    }
    if (step % 7 === 0) push({ kind: 'timer_set', node: src, timer: 'tick', id: `t${step}`, due: time + 50 });
    if (step % 11 === 0) push({ kind: 'persist', node: src, record: { type: 'mark', step } });
    if (step % 97 === 0) push({ kind: 'crash', node: 'p2', by: 'chaos' });
    if (step % 97 === 13) push({ kind: 'recover', node: 'p2', by: 'chaos', durable: [] });
    if (step % 131 === 0) push({ kind: 'partition', groups: [['coordinator', 'p1'], ['p2', 'p3', 'p4']], by: 'chaos' });
    if (step % 131 === 40) push({ kind: 'heal', by: 'chaos' });
    if (step % 503 === 0) push({ kind: 'violation', invariant: 'x', invariant_kind: 'state', nodes: ['p1'], text: 'bad' });
    if (step % 257 === 0) push({ kind: 'caption', at: seq, text: `caption ${step}` });
  }
  return events;
}
