// The encoding table of three-phase commit (protocols/threephase/).
//
// Okabe-Ito colours, each paired with a word: a phase is always labelled, a message always carries its
// type. Before the vote sky blue; uncertain (voted yes, does not know if anyone is ready) yellow; prepared
// (everyone voted yes) orange; a participant leading the termination protocol purple, collecting states
// then sending PreCommit; recovering (the coordinator asking what happened) grey; committed bluish green,
// aborted vermillion. The three rounds go blue (CanCommit), orange (PreCommit), green (DoCommit); the
// termination protocol's messages are purple and dotted, a recovered node's question grey and dotted.

import { PALETTE } from './palette.js';
import { threephaseParticipantsPanel } from '../panels/threephase-participants.js';

const DOTTED = '2 3';
const ANSWER = '6 4';

/** Turn [name, colour, label, dash?] rows into the table's entries, { colour, label[, dash] } by name. */
function entries(rows) {
  return Object.fromEntries(rows.map(([name, colour, label, dash]) => [name, dash ? { colour, label, dash } : { colour, label }]));
}

export default {
  name: 'three-phase-commit',
  roles: { coordinator: { short: 'C', shape: 'square', label: 'Coordinator' }, participant: { short: 'P', shape: 'circle', label: 'Participant' } },
  roleOrder: ['coordinator', 'participant'],
  panels: [threephaseParticipantsPanel],
  phases: entries([
    // The coordinator's own.
    ['init', PALETTE.sky, 'init'], ['waiting', PALETTE.sky, 'waiting for votes'],
    ['precommitted', PALETTE.orange, 'precommitted'], ['recovering', PALETTE.grey, 'recovering'],
    // A participant's, then a termination leader's.
    ['working', PALETTE.sky, 'working'], ['uncertain', PALETTE.yellow, 'uncertain'], ['prepared', PALETTE.orange, 'prepared'],
    ['collecting', PALETTE.purple, 'leading: collecting'], ['precommitting', PALETTE.purple, 'leading: PreCommit'],
    // Either role's outcome.
    ['committed', PALETTE.green, 'committed'], ['aborted', PALETTE.vermillion, 'aborted'],
  ]),
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    coordinator: ['init', 'waiting', 'precommitted', 'recovering', 'committed', 'aborted'],
    participant: ['working', 'uncertain', 'prepared', 'collecting', 'precommitting', 'committed', 'aborted'],
  },
  messages: entries([
    ['can_commit', PALETTE.blue, 'CAN COMMIT?'], ['vote', PALETTE.blue, 'VOTE', ANSWER],
    ['pre_commit', PALETTE.orange, 'PRECOMMIT'], ['ack', PALETTE.orange, 'ACK', ANSWER],
    ['do_commit', PALETTE.green, 'DOCOMMIT'], ['abort', PALETTE.vermillion, 'ABORT'],
    ['state_req', PALETTE.purple, 'STATE?', DOTTED], ['state_reply', PALETTE.purple, 'STATE', DOTTED],
    ['decision_req', PALETTE.grey, 'OUTCOME?', DOTTED],
  ]),
  /** Return the text drawn on a message: its type, and the vote or the state it carries. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || message.type.toUpperCase();
    const { vote, phase } = message.body || {};
    if (message.type === 'vote' && vote) return `${base} ${vote}`;
    return message.type === 'state_reply' && phase ? `${base} ${phase}` : base;
  },
};
