// The encoding table of Paxos Commit (protocols/paxoscommit/).
//
// Okabe-Ito colours, each paired with a word. Resource managers: working sky blue, prepared orange,
// committed bluish green, aborted vermillion. Leaders: standing by grey, collecting the acceptances blue,
// running a ballot purple (phase 1 preparing, phase 2 proposing). Acceptors are yellow squares, always
// accepting. Messages: BEGIN blue; a vote proposed (2a) orange, an acceptance reported (2b) black and
// dashed; phase 1 (1a, 1b) purple and dotted; a call for help grey; the outcome green or vermillion.

import { PALETTE } from './palette.js';
import { paxosAcceptorsPanel } from '../panels/paxos-acceptors.js';

const { sky, orange, green, vermillion, grey, blue, purple, black, yellow } = PALETTE;

export default {
  name: 'paxos-commit',
  roleOrder: ['leader', 'participant', 'acceptor'],
  panels: [paxosAcceptorsPanel],
  roles: {
    leader: { label: 'Leader', short: 'L', shape: 'square' },
    participant: { short: 'RM', label: 'Resource manager', shape: 'circle' }, acceptor: { shape: 'square', short: 'A', label: 'Acceptor' },
  },
  phases: {
    init: { colour: sky, label: 'init' }, standby: { colour: grey, label: 'standing by' },
    collecting: { label: 'collecting acceptances', colour: blue },
    preparing: { colour: purple, label: 'phase 1: preparing' }, proposing: { colour: purple, label: 'phase 2: proposing' },
    accepting: { label: 'accepting', colour: yellow },
    working: { colour: sky, label: 'working' }, prepared: { colour: orange, label: 'prepared' },
    committed: { label: 'committed', colour: green }, aborted: { label: 'aborted', colour: vermillion },
  },
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    leader: ['init', 'standby', 'collecting', 'preparing', 'proposing', 'committed', 'aborted'],
    participant: ['working', 'prepared', 'committed', 'aborted'],
    acceptor: ['accepting'],
  },
  messages: {
    begin: { colour: blue, label: 'BEGIN' }, p2a: { colour: orange, label: '2a' },
    p2b: { label: '2b', colour: black, dash: '6 4' },
    p1a: { colour: purple, label: '1a', dash: '2 3' }, p1b: { colour: purple, dash: '2 3', label: '1b' },
    help: { label: 'HELP?', colour: grey },
    commit: { colour: green, label: 'COMMIT' }, abort: { label: 'ABORT', colour: vermillion },
  },
  /** Return the text drawn on a message: its type, its ballot, and the values it carries. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || message.type.toUpperCase();
    const { ballot, values } = message.body || {};
    const pairs = Object.entries(values || {});
    // One instance's value is worth reading on the arrow; a leader's bundle of them is only counted.
    const shown = pairs.length === 1 ? ` ${pairs[0][0]}=${pairs[0][1]}` : (pairs.length ? ` (${pairs.length} values)` : '');
    return ballot === undefined ? base : `${base} b${ballot}${shown}`;
  },
};
