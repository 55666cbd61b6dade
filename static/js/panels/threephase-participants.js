// Three-phase commit's panel: a row for the coordinator (its phase), then one per participant at the
// playhead: the last of the three rounds that reached it (CanCommit, PreCommit, DoCommit), its state, the vote it
// sent, how many of its timeouts fired, and whose decision its outcome is. Around the grid, the checker's
// words: above it, when the outcome split, the atomicity finding itself; below it, who decided without
// the coordinator (the termination protocol's leaders, or a participant alone on a timeout).
//
// Everything is recorded: the state events (a participant's phase and its decided_by, which the protocol
// keeps), the log's sends, deliveries and timer firings (folded once, checkpointed with the timeline),
// and the checker's findings. Whether the outcome split is the checker's to say, not the panel's.

import { h, fill } from '../dom.js';
import { CRASHED, PALETTE, VIOLATION, inkFor } from '../protocols/palette.js';
import { violationText } from '../findings.js';
import { STYLE, definePanel } from './define.js';

const COLOUR = {
  working: PALETTE.sky, uncertain: PALETTE.yellow, prepared: PALETTE.orange, collecting: PALETTE.purple,
  precommitting: PALETTE.purple, committed: PALETTE.green, aborted: PALETTE.vermillion,
  init: PALETTE.sky, waiting: PALETTE.sky, precommitted: PALETTE.orange, recovering: PALETTE.grey,
};
const CELL = 'border:1px solid #999;padding:3px 8px;text-align:left';
const WORD_CELL = `${CELL};white-space:nowrap`;

/** The three rounds, by the message that opens each, with their words. */
const ROUNDS = {
  can_commit: (tr) => tr('tpc.grid.canCommit', 'CanCommit'),
  pre_commit: (tr) => tr('tpc.grid.preCommit', 'PreCommit'),
  do_commit: (tr) => tr('tpc.grid.doCommit', 'DoCommit'),
};

/** What the log says of each node: the vote it sent, the last round that reached it, its timeouts fired. */
export const THREEPHASE_LOG = {
  init: () => ({ votes: {}, rounds: {}, timeouts: {} }),
  step(acc, e) {
    if (e.kind === 'send' && e.message.type === 'vote') acc.votes[e.node] = (e.message.body || {}).vote;
    else if (e.kind === 'deliver' && ROUNDS[e.message.type]) acc.rounds[e.node] = e.message.type;
    else if (e.kind === 'timer' && e.timer === 'timeout') acc.timeouts[e.node] = (acc.timeouts[e.node] || 0) + 1;
    return acc;
  },
  copy: (acc) => ({ votes: { ...acc.votes }, rounds: { ...acc.rounds }, timeouts: { ...acc.timeouts } }),
};

function cell(text, colour, extra = {}, base = CELL) {
  const style = colour ? `${base};background:${colour};color:${inkFor(colour)}` : base;
  return h('td', { style, ...extra }, text);
}

function stateCell(tr, node) {
  const phase = (node.state || {}).phase;
  const word = tr(`phase.${phase}`, String(phase ?? '—'));
  if (!node.up) return cell(`⚠ ${tr('node.crashed', 'crashed')} (${word})`, CRASHED, { dataset: { phase: phase || '' } }, WORD_CELL);
  const td = cell(word, COLOUR[phase], { dataset: { phase: phase || '' } }, WORD_CELL);
  if (phase === 'committed' || phase === 'aborted') td.style.fontWeight = '700';
  return td;
}

/** The words of a vote and of a broken safety invariant, each key written out. */
const WORDS = {
  yes: (tr) => tr('tpc.grid.voted.yes', 'yes'),
  no: (tr) => tr('tpc.grid.voted.no', 'no'),
  atomicity: (tr, finding) => tr('tpc.grid.split', 'Atomicity broken, the outcome split: {finding}', { finding }),
  validity: (tr, finding) => tr('tpc.grid.invalid', 'Validity broken: {finding}', { finding }),
};

/** Name the node whose decision an outcome is, with how it decided when the checker recorded that. */
function deciderText(tr, decider, how) {
  if (!decider) return '—';
  if (how === 'leader-decided') return tr('tpc.grid.asLeader', '{node}, as termination leader', { node: decider });
  if (how === 'decided-alone') return tr('tpc.grid.alone', '{node}, alone on a timeout', { node: decider });
  return decider;
}

function participantRow(tr, node, log, how) {
  const s = node.state || {};
  const round = log.rounds[node.name];
  const vote = log.votes[node.name];
  return h('tr', { class: 'tpc-participant', dataset: { node: node.name, phase: s.phase || '', decidedBy: s.decided_by || '' } },
    h('th', { style: CELL, scope: 'row' }, node.name),
    cell(round ? ROUNDS[round](tr) : '—', null, {}, WORD_CELL),
    stateCell(tr, node),
    cell(deciderText(tr, s.decided_by, how[s.decided_by])),
    cell(vote && WORDS[vote] ? WORDS[vote](tr) : (vote || '—')),
    cell(String(log.timeouts[node.name] || 0)));
}

function coordinatorRow(tr, node, log) {
  const stateTd = stateCell(tr, node); // not `state`: panels' `state.x` are a node's declared fields (test_state_types)
  stateTd.classList.add('tpc-coordinator');
  return h('tr', { class: 'tpc-coordinator-row', dataset: { node: node.name } },
    h('th', { style: CELL, scope: 'row' }, node.name), cell('—'), stateTd, cell('—'), cell('—'),
    cell(String(log.timeouts[node.name] || 0)));
}

/** The panel entry three-phase-commit's encoding table lists. */
export const threephaseParticipantsPanel = definePanel({
  id: 'threephase-participants', labelKey: 'tpc.grid.tab', label: 'Participants',
  folds: { log: THREEPHASE_LOG },
  mount(el, { tr }) {
    const parts = {
      split: h('p', { class: 'tpc-split', role: 'alert', hidden: true,
        style: `${STYLE.line};font-weight:700;border:3px solid ${VIOLATION};color:${VIOLATION};padding:4px 8px` }),
      termination: h('ul', { class: 'tpc-termination', style: `${STYLE.list};font-size:1.05rem` }),
      rows: h('tbody'),
    };
    const head = [tr('tpc.grid.node', 'Node'), tr('tpc.grid.round', 'Round'), tr('tpc.grid.state', 'State'),
      tr('tpc.grid.decidedBy', 'Decided by'), tr('tpc.grid.vote', 'Vote'), tr('tpc.grid.timeouts', 'Timeouts')]
      .map((text) => h('th', { style: `${CELL};white-space:nowrap`, scope: 'col' }, text));
    el.append(parts.split,
      h('div', { style: 'overflow-x:auto' },
        h('table', { class: 'tpc-participants', style: 'border-collapse:collapse;margin:0.4rem 0.6rem;font-size:1.1rem' },
          h('thead', {}, h('tr', {}, ...head)), parts.rows)),
      parts.termination);
    return parts;
  },
  draw({ split, termination, rows }, { snap, ctx, tr, folds }) {
    const log = folds.log || THREEPHASE_LOG.init();
    const violations = snap.violations || [];
    const broken = violations.filter((v) => v.invariant === 'atomicity' || v.invariant === 'validity');
    const last = broken.at(-1);
    split.hidden = !last;
    split.dataset.invariant = last ? last.invariant : '';
    fill(split, last ? `⚠ ${WORDS[last.invariant](tr, violationText(last, ctx.catalogue))}` : '');
    const alone = violations.filter((v) => v.invariant === 'decided-without-coordinator' && v.finding);
    const how = Object.fromEntries(alone.map((v) => [(v.finding.data || {}).node, v.finding.id]));
    fill(termination, alone.length ? alone.map((v) => h('li', { dataset: { finding: v.finding.id } }, violationText(v, ctx.catalogue)))
      : h('li', { style: STYLE.muted }, tr('tpc.grid.noTermination', 'Nobody has decided without the coordinator')));
    fill(rows, snap.nodes.filter((n) => n.role === 'coordinator').map((n) => coordinatorRow(tr, n, log)),
      snap.nodes.filter((n) => n.role === 'participant').map((n) => participantRow(tr, n, log, how)));
  },
});
