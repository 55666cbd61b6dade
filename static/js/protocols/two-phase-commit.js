// The encoding table of two-phase commit: how its roles, phases and messages look.
//
// Colours are the Okabe-Ito palette (safe for the common colour-vision
// deficiencies), and every colour is paired with a word or a shape, never
// alone: a phase is always labelled, a message always carries its type.
// Undecided phases are blue, the in-doubt "prepared" is orange, committed is
// bluish green, aborted is vermillion.

import { PALETTE } from './palette.js';

export default {
  name: 'two-phase-commit',
  roleOrder: ['coordinator', 'participant'],
  roles: {
    coordinator: { label: 'Coordinator', shape: 'square', short: 'C' },
    participant: { label: 'Participant', shape: 'circle', short: 'P' },
  },
  phases: {
    init: { colour: PALETTE.sky, label: 'init' },
    working: { colour: PALETTE.sky, label: 'working' },
    prepared: { colour: PALETTE.orange, label: 'prepared' },
    committed: { colour: PALETTE.green, label: 'committed' },
    aborted: { colour: PALETTE.vermillion, label: 'aborted' },
  },
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    coordinator: ['init', 'committed', 'aborted'],
    participant: ['working', 'prepared', 'committed', 'aborted'],
  },
  messages: {
    prepare: { colour: PALETTE.blue, label: 'PREPARE' },
    vote: { colour: PALETTE.orange, label: 'VOTE' },
    commit: { colour: PALETTE.green, label: 'COMMIT' },
    abort: { colour: PALETTE.vermillion, label: 'ABORT' },
    ack: { colour: PALETTE.black, label: 'ACK' },
    status_request: { colour: PALETTE.purple, label: 'STATUS?', dash: '6 4' },
    status_reply: { colour: PALETTE.purple, label: 'STATUS' },
  },
  /** Return the text drawn on a message: its type, and the vote or decision it carries. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || message.type.toUpperCase();
    const body = message.body || {};
    if (message.type === 'vote' && body.vote) return `${base} ${body.vote}`;
    if (message.type === 'status_reply' && body.decision) return `${base} ${body.decision}`;
    return base;
  },
};
