// The sharded counter's panel: one bar per shard, as long as its share of the count, with the
// number written at its end; the sum of the shares against the acknowledged increments; and each
// client's read as it gathers the shares (a tick per shard that answered, "missing" for the ones
// that did not, "partial" on a sum that leaves some out).
//
// A shard that has just counted an increment is outlined orange with "+1"; a crashed one is grey
// and says "down". Plain DOM; the numbers come from crdt-model.js (pure, tested).

import { h, fill } from '../dom.js';
import { PALETTE, CRASHED, VIOLATION } from '../protocols/palette.js';
import { shardView } from './crdt-model.js';
import { STYLE, definePanel } from './define.js';

const BAR_COLOUR = PALETTE.blue;

function bar(tr, shard, max) {
  const width = Math.max(2, Math.round((shard.count / max) * 100));
  const colour = shard.up ? BAR_COLOUR : CRASHED;
  const note = !shard.up ? ` ⚠ ${tr('sharded.bars.down', 'down')}` : shard.hot ? ' +1' : '';
  return h('div', { class: 'sharded-bar', dataset: { node: shard.name, hot: shard.hot ? '1' : '' },
    style: 'display:flex;align-items:center;gap:0.6rem;margin:0.25rem 0;font-size:1.25rem' },
  h('span', { style: 'min-width:2.5rem;font-weight:700' }, shard.name),
  h('span', { style: 'flex:1;position:relative;height:1.6rem' },
    h('span', { style: `display:block;height:100%;width:${width}%;background:${colour};`
      + `${shard.hot ? `outline:4px solid ${PALETTE.orange};` : ''}` })),
  h('span', { style: `min-width:5rem;font-weight:700;color:${shard.up ? '#000' : VIOLATION}` }, `${shard.count}${note}`));
}

function readLine(tr, read, shards) {
  const parts = shards.map((s) => {
    if (read.answers[s.name] !== undefined) return `${s.name} ✓ ${read.answers[s.name]}`;
    return `${s.name} … ${tr('sharded.bars.missing', 'missing')}`;
  });
  let outcome = '';
  if (read.phase === 'done') {
    outcome = read.missing.length
      ? ` → ${read.value} (${tr('sharded.bars.partial', 'partial: leaves out {shards}', { shards: read.missing.join(', ') })})`
      : ` → ${read.value}`;
  }
  const colour = read.phase === 'done' && read.missing.length ? VIOLATION : '#000';
  return h('li', { style: `color:${colour}` }, `${read.client}: ${parts.join(' · ')}${outcome}`);
}

/** The panel entry an encoding table lists: the shards at the playhead, drawn. */
export const shardedBarsPanel = definePanel({
  id: 'sharded-bars',
  labelKey: 'sharded.bars.tab',
  label: 'Shards',
  mount(el, { tr }) {
    const parts = {
      heading: h('p', { class: 'sharded-total', role: 'status', style: STYLE.headline }),
      cost: h('p', { class: 'sharded-cost', style: STYLE.line }),
      bars: h('div', { class: 'sharded-bars', style: 'margin:0.4rem 0.6rem' }),
      reads: h('ul', { class: 'sharded-reads', style: 'margin:0 0.6rem;padding-left:1.2rem;font-size:1.25rem' }),
    };
    const readsTitle = h('p', { style: 'font-weight:700;margin:0.6rem 0.6rem 0.2rem;font-size:1.15rem' },
      tr('sharded.bars.reads', 'Reads (each asks every shard)'));
    el.append(parts.heading, parts.cost, parts.bars, readsTitle, parts.reads);
    return parts;
  },
  draw({ heading, cost, bars, reads }, { snap, tr, timeline }) {
    const view = shardView(snap, timeline.events, snap.seq);
    heading.textContent = view.down.length
      ? tr('sharded.bars.totalDown', 'Sum of the reachable shares: {total} ({down} down) · acknowledged increments: {acked}',
        { total: view.total, acked: view.acked, down: view.down.join(', ') })
      : tr('sharded.bars.total', 'Sum of the shares: {total} · acknowledged increments: {acked}',
        { total: view.total, acked: view.acked });
    heading.style.color = view.total < view.acked ? VIOLATION : '#000';
    // The read's cost is the clients' record (read_messages), not a count of shards made here.
    cost.textContent = tr('sharded.bars.cost', 'An increment costs 2 messages; a read costs {n} (2 per shard).',
      { n: view.readMessages ?? '—' });
    fill(bars, view.shards.map((s) => bar(tr, s, view.max)));
    fill(reads, view.reads.length ? view.reads.map((r) => readLine(tr, r, view.shards))
      : [h('li', { style: STYLE.muted }, tr('sharded.bars.noReads', 'No read yet.'))]);
  },
});
