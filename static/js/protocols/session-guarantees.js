// The encoding table of session guarantees (protocols/sessions/).
//
// Okabe-Ito colours, each paired with a word. Clients: thinking grey, waiting sky blue, done green; the
// primary and the replicas serve (blue). Messages: writes and their acknowledgements orange, reads and
// their answers blue (answers dashed), replication green (its acknowledgement dashed). A write is drawn
// WRITE k0=c1:1, its acknowledgement with its log position (@1), a read with its session token (READ k0
// ≥1), an answer with the value, its version and how far the answering node had applied the log.
// The first panel draws each replica's applied position against each session's token over time.

import { PALETTE } from './palette.js';
import { sessionsPositionsPanel } from '../panels/sessions-positions.js';

const ANSWER = '6 4';

/** [phase, colour, word]. */
const PHASES = [
  ['thinking', PALETTE.grey, 'thinking'], ['waiting', PALETTE.sky, 'waiting'], ['done', PALETTE.green, 'done'],
  ['serving', PALETTE.blue, 'serving'],
];

/** [message type, colour, word, dash]. */
const MESSAGES = [
  ['write', PALETTE.orange, 'WRITE'], ['write_ok', PALETTE.orange, 'OK', ANSWER],
  ['read', PALETTE.blue, 'READ'], ['read_ok', PALETTE.blue, 'VALUE', ANSWER],
  ['replicate', PALETTE.green, 'LOG'], ['replicate_ok', PALETTE.green, 'APPLIED', ANSWER],
];

const ROLES = {
  primary: { label: 'Primary', shape: 'square', short: 'P' },
  replica: { label: 'Replica', shape: 'circle', short: 'R' },
  client: { label: 'Client', shape: 'circle', short: 'C' },
};

/** Return the words after a message's type: what it carries, in the log's own numbers. */
function detail(message) {
  const b = message.body || {};
  switch (message.type) {
    case 'write': return ` ${b.key}=${b.value}`;
    case 'write_ok': return ` @${b.pos}`;
    case 'read': return b.token ? ` ${b.key} ≥${b.token}` : ` ${b.key}`;
    case 'read_ok': return ` ${b.key}=${b.value} v${b.ver} @${b.pos}`;
    case 'replicate': return (b.entries || []).length ? ` ${b.entries[0].pos}…${b.entries[b.entries.length - 1].pos}` : '';
    case 'replicate_ok': return ` ${b.applied}${b.gap ? ' GAP' : ''}`;
    default: return '';
  }
}

export default {
  name: 'session-guarantees', roles: ROLES, roleOrder: Object.keys(ROLES),
  phases: Object.fromEntries(PHASES.map(([phase, colour, label]) => [phase, { colour, label }])),
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: { client: ['thinking', 'waiting', 'done'], primary: ['serving'], replica: ['serving'] },
  messages: Object.fromEntries(MESSAGES.map(([type, colour, label, dash]) => [type,
    dash ? { colour, label, dash } : { colour, label }])),
  /** Return the text drawn on a message: its type and what it carries. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || message.type.toUpperCase();
    return `${base}${detail(message)}`;
  },
  panels: [sessionsPositionsPanel],
};
