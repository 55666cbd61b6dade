// The encoding table of TCC, try / confirm / cancel (protocols/tcc/).
//
// Okabe-Ito colours, each paired with a word. The coordinator: before its first transaction grey, trying
// sky blue, confirming and confirmed bluish green, cancelling and cancelled vermillion. A branch: idle
// grey, busy (a Try still to run) yellow, reserved (an amount frozen) orange, failed purple, confirmed
// green, cancelled vermillion. Messages: Try orange, Confirm green, Cancel vermillion; answers dashed in
// the colour of what they answer (a failed Try purple).

import { PALETTE } from './palette.js';
import { tccBranchesPanel } from '../panels/tcc-branches.js';

const ANSWER = '6 4';

/** [phase, colour, word]. */
const PHASES = [
  ['init', PALETTE.grey, 'not begun'], ['trying', PALETTE.sky, 'trying'],
  ['confirming', PALETTE.green, 'confirming'], ['cancelling', PALETTE.vermillion, 'cancelling'],
  ['idle', PALETTE.grey, 'idle'], ['busy', PALETTE.yellow, 'Try still to run'], ['reserved', PALETTE.orange, 'reserved'],
  ['failed', PALETTE.purple, 'Try failed'], ['confirmed', PALETTE.green, 'confirmed'],
  ['cancelled', PALETTE.vermillion, 'cancelled'],
];

/** [message type, colour, word, dash]. */
const MESSAGES = [
  ['try', PALETTE.orange, 'TRY'], ['try_ok', PALETTE.orange, 'TRY OK', ANSWER],
  ['try_failed', PALETTE.purple, 'TRY FAILED', ANSWER],
  ['confirm', PALETTE.green, 'CONFIRM'], ['confirm_ok', PALETTE.green, 'OK', ANSWER],
  ['cancel', PALETTE.vermillion, 'CANCEL'], ['cancel_ok', PALETTE.vermillion, 'OK', ANSWER],
];

const ROLES = {
  coordinator: { label: 'Transaction coordinator', shape: 'square', short: 'TC' },
  branch: { label: 'Branch', shape: 'circle', short: 'B' },
};

export default {
  name: 'tcc', roles: ROLES, roleOrder: Object.keys(ROLES),
  phases: Object.fromEntries(PHASES.map(([phase, colour, label]) => [phase, { colour, label }])),
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    coordinator: ['init', 'trying', 'confirming', 'cancelling', 'confirmed', 'cancelled'],
    branch: ['idle', 'busy', 'reserved', 'failed', 'confirmed', 'cancelled'],
  },
  messages: Object.fromEntries(MESSAGES.map(([type, colour, label, dash]) => [type,
    dash ? { colour, label, dash } : { colour, label }])),
  /** Return the text drawn on a message: its type and the global transaction it is about. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || message.type.toUpperCase();
    const xid = (message.body || {}).xid;
    return xid ? `${base} ${xid}` : base;
  },
  panels: [tccBranchesPanel],
};
