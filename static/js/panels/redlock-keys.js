// The Redis lock's panel: the lock key on every Redis node and each client's attempt, at the playhead.
//
// One box per node: the client whose key it holds (in that client's colour), or "no key", and when the
// key expires by the node's own clock; a crashed node is grey and says "down" (a restart without
// persistence comes back empty). One line per client: its phase, the nodes that said OK and NIL to its
// attempt, how many OKs it needs (the majority the client recorded), and, while it holds the lock, the
// end of its validity by its own clock and its fencing token. Two clients drawn as holders at once is
// what the mutual-exclusion check reports; the panel only draws the recorded states.

import { h, fill } from '../dom.js';
import { CYCLE, CRASHED, inkFor } from '../protocols/palette.js';
import { STYLE, byNodes, definePanel } from './define.js';

const BELIEVING = new Set(['holding', 'committing', 'writing']);

function colours(nodes) {
  const out = {};
  nodes.filter((n) => n.role === 'client').forEach((n, i) => { out[n.name] = CYCLE[i % CYCLE.length]; });
  return out;
}

function nodeBox(tr, node, colour) {
  const key = node.state && node.state.key;
  const background = !node.up ? CRASHED : key ? colour[key.client] || CYCLE[0] : '#FFFFFF';
  const lines = [h('strong', { style: 'font-size:1.25rem' }, node.name)];
  if (!node.up) lines.push(h('span', {}, `⚠ ${tr('redlock.keys.down', 'down')}`));
  else if (key) {
    lines.push(h('span', { style: 'font-weight:700' }, tr('redlock.keys.holder', 'key of {client}', { client: key.client })));
    lines.push(h('span', { style: 'font-size:0.95rem' },
      tr('redlock.keys.expires', 'expires at {at} ms (its clock)', { at: key.expires_at })));
  } else lines.push(h('span', {}, tr('redlock.keys.none', 'no key')));
  return h('li', {
    class: 'redlock-node', dataset: { node: node.name, holder: key ? key.client : '' },
    style: `list-style:none;display:flex;flex-direction:column;gap:2px;flex:1 1 7.5rem;max-width:11rem;padding:6px 8px;`
      + `border:2px solid #222;border-radius:6px;background:${background};color:${inkFor(background)}`,
  }, ...lines);
}

function clientLine(tr, node, colour, redis) {
  const s = node.state || {};
  const phase = tr(`phase.${s.phase}`, String(s.phase ?? '—'));
  const answers = s.answers || {};
  const oks = redis.filter((r) => answers[r] === 'ok');
  const nils = redis.filter((r) => answers[r] === 'busy');
  const parts = [h('strong', { style: `color:${colour}` }, node.name), ` · ${phase}`];
  if (s.phase === 'acquiring' || BELIEVING.has(s.phase) || Object.keys(answers).length) {
    parts.push(` · ${tr('redlock.keys.answers', 'OK from {oks}; NIL from {nils}; needs {needed}', {
      oks: oks.length ? oks.join(', ') : '—', nils: nils.length ? nils.join(', ') : '—', needed: s.needed || '—' })}`);
  }
  if (BELIEVING.has(s.phase) && s.valid_until !== null && s.valid_until !== undefined) {
    parts.push(` · ${tr('redlock.keys.valid', 'valid until {at} ms (its clock)', { at: s.valid_until })}`);
    if (s.token !== null && s.token !== undefined) parts.push(` · ${tr('redlock.keys.token', 'token {token}', { token: s.token })}`);
  }
  const style = BELIEVING.has(s.phase) ? 'font-weight:700' : '';
  return h('li', { class: 'redlock-client', dataset: { node: node.name, phase: s.phase || '' }, style }, ...parts);
}

/** The panel entry redis-lock's encoding table lists. */
export const redlockKeysPanel = definePanel({
  id: 'redlock-keys',
  labelKey: 'redlock.keys.tab',
  label: 'Keys and holders',
  changed: byNodes,
  mount(el, { tr }) {
    const parts = {
      nodes: h('ul', { class: 'redlock-nodes', style: 'display:flex;flex-wrap:wrap;gap:8px;margin:0.4rem 0.6rem;padding:0' }),
      clients: h('ul', { class: 'redlock-clients', style: STYLE.list }),
    };
    el.append(
      h('p', { style: STYLE.headline }, tr('redlock.keys.title', 'The lock key on each Redis node')),
      parts.nodes,
      h('p', { style: STYLE.caption }, tr('redlock.keys.clients', 'Clients: their attempt, and the lock as each sees it')),
      parts.clients);
    return parts;
  },
  draw({ nodes, clients }, { snap, tr }) {
    const colour = colours(snap.nodes);
    const redis = snap.nodes.filter((n) => n.role === 'redis');
    fill(nodes, redis.map((n) => nodeBox(tr, n, colour)));
    const names = redis.map((n) => n.name);
    fill(clients, snap.nodes.filter((n) => n.role === 'client').map((n) => clientLine(tr, n, colour[n.name], names)));
  },
});
