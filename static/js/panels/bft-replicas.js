// The Byzantine counter's panel: every replica with a badge naming its behaviour (honest,
// lie-high, lie-low, equivocate, silent, each in its colour and its word), how many operations it
// stores and what it told each reader, set against the true count; then each read's quorum
// decision, ✓ when it equals the true count and ✗ (in red, with words) when it does not.
//
// The rule is restated in numbers above the table (n, f, 2f + 1, f + 1, as the clients record them),
// and a warning appears when more than f replicas lie: the guarantee no longer holds (the checker's
// illustrative liars-within-f finding, in its words: the panel does not count liars against f). A read's ✗ is
// the checker's verdict, with the bounds its finding records. Plain DOM; the numbers come from
// crdt-model.js (pure, tested): a fold the timeline checkpoints, so a seek never rereads the log.

import { h, fill } from '../dom.js';
import { PALETTE, VIOLATION, inkFor } from '../protocols/palette.js';
import { BFT_LOG, bftPicture } from './crdt-model.js';
import { STYLE, definePanel } from './define.js';
import { violationText } from '../findings.js';

const CELL = 'padding:0.3rem 0.6rem;border:1px solid #888;text-align:left';

function badge(ctx, behaviour) {
  const enc = ctx.encoding ? ctx.encoding.phase(behaviour) : { colour: PALETTE.grey, label: behaviour };
  return h('span', { class: 'bft-badge', dataset: { behaviour },
    style: `display:inline-block;padding:0.1rem 0.6rem;border-radius:999px;font-weight:700;`
      + `background:${enc.colour};color:${inkFor(enc.colour)}` }, enc.label);
}

function toldText(tr, replica) {
  const told = Object.entries(replica.reported);
  if (!told.length) return replica.behaviour === 'silent' ? tr('bft.replicas.never', 'never answers') : '—';
  return told.map(([client, n]) => `${client}: ${n}`).join(' · ');
}

/** The panel entry an encoding table lists: the Byzantine log folded through the timeline, then drawn. */
export const bftReplicasPanel = definePanel({
  id: 'bft-replicas',
  labelKey: 'bft.replicas.tab',
  label: 'Replicas and quorum',
  folds: { log: BFT_LOG },
  mount(el) {
    const parts = {
      rule: h('p', { class: 'bft-rule', style: 'font-size:1.15rem;margin:0.4rem 0.6rem' }),
      warning: h('p', { class: 'bft-warning', role: 'status', style: `font-size:1.25rem;font-weight:700;color:${VIOLATION};margin:0.2rem 0.6rem` }),
      truth: h('p', { class: 'bft-truth', style: 'font-size:1.3rem;font-weight:700;margin:0.3rem 0.6rem' }),
      table: h('table', { class: 'bft-replicas', style: 'border-collapse:collapse;font-size:1.2rem;margin:0.3rem 0.6rem' }),
      decisions: h('ul', { class: 'bft-decisions', style: STYLE.list }),
    };
    el.append(parts.rule, parts.warning, parts.truth, parts.table, parts.decisions);
    return parts;
  },
  draw({ rule, warning, truth, table, decisions }, { ctx, snap, tr, folds }) {
    const view = bftPicture(folds.log);
    const n = view.replicas.length;
    rule.textContent = tr('bft.replicas.rule', 'n = {n} replicas tolerate f = {f} liars: an increment needs {q} acknowledgements, '
      + 'a read {q} answers, and an operation counts once {v} replicas report it.', { n, f: view.f ?? '—', q: view.quorum ?? '—', v: view.countsAt ?? '—' });
    const tooMany = (snap.violations || []).find((v) => v.invariant === 'liars-within-f');
    warning.textContent = tooMany ? `⚠ ${violationText(tooMany, ctx.catalogue)}` : '';
    truth.textContent = view.acked === view.issued
      ? tr('bft.replicas.truth', 'True count: {acked}', { acked: view.acked })
      : tr('bft.replicas.truthRange', 'True count: {acked} acknowledged, {issued} issued', view);
    const head = h('tr', {}, [tr('bft.replicas.replica', 'replica'), tr('bft.replicas.behaviour', 'behaviour'),
      tr('bft.replicas.stored', 'stores'), tr('bft.replicas.told', 'reported to readers')].map((x) => h('th', { style: CELL }, x)));
    fill(table, head, view.replicas.map((r) => h('tr', { dataset: { node: r.name } },
      h('td', { style: `${CELL};font-weight:700` }, r.name),
      h('td', { style: CELL }, badge(ctx, r.behaviour)),
      h('td', { style: CELL }, String(r.stored)),
      h('td', { style: CELL }, toldText(tr, r)))));
    fill(decisions, view.reads.length ? view.reads.map((d) => {
      const expected = d.correct ? '' : d.low === d.high ? String(d.low) : `${d.low}–${d.high}`;
      return h('li', { dataset: { correct: String(d.correct) }, style: `color:${d.correct ? PALETTE.green : VIOLATION};font-weight:700` },
        d.correct
          ? `✓ ${tr('bft.replicas.right', '{client} decided {value}: the true count', { client: d.client, value: d.value })}`
          : `✗ ${tr('bft.replicas.wrong', '{client} decided {value}, but the true count is {expected}',
            { client: d.client, value: d.value, expected })}`);
    }) : [h('li', { style: STYLE.muted }, tr('bft.replicas.noRead', 'No read decided yet.'))]);
  },
});
