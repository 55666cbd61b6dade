// The encoding table of the orchestrated saga (protocols/saga/).
//
// Okabe-Ito colours, each paired with a word. The orchestrator: before its first saga grey, running sky
// blue, finished bluish green. A service: open grey, pending (a semantic lock held for a running saga)
// yellow. Messages: a step blue, a compensation vermillion, a release green; answers dashed in the
// colour of what they answer (a failed step purple, a busy answer yellow).

import { PALETTE } from './palette.js';
import { sagaTimelinePanel } from '../panels/saga-timeline.js';

const ANSWER = '6 4';

/** [phase, colour, word]. */
const PHASES = [
  ['init', PALETTE.grey, 'not begun'], ['running', PALETTE.sky, 'running'], ['finished', PALETTE.green, 'finished'],
  ['open', PALETTE.grey, 'open'], ['pending', PALETTE.yellow, 'pending'],
];

/** [message type, colour, word, dash]. */
const MESSAGES = [
  ['step', PALETTE.blue, 'T'], ['step_ok', PALETTE.blue, 'OK', ANSWER],
  ['step_failed', PALETTE.purple, 'FAILED', ANSWER], ['step_busy', PALETTE.yellow, 'BUSY', ANSWER],
  ['compensate', PALETTE.vermillion, 'C'], ['compensate_ok', PALETTE.vermillion, 'OK', ANSWER],
  ['compensate_failed', PALETTE.purple, 'C FAILED', ANSWER],
  ['release', PALETTE.green, 'RELEASE'], ['release_ok', PALETTE.green, 'OK', ANSWER],
];

const ROLES = {
  orchestrator: { label: 'Orchestrator', shape: 'square', short: 'O' },
  service: { label: 'Service', shape: 'circle', short: 'S' },
};

export default {
  name: 'saga-orchestrated', roles: ROLES, roleOrder: Object.keys(ROLES),
  phases: Object.fromEntries(PHASES.map(([phase, colour, label]) => [phase, { colour, label }])),
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: { orchestrator: ['init', 'running', 'finished'], service: ['open', 'pending'] },
  messages: Object.fromEntries(MESSAGES.map(([type, colour, label, dash]) => [type,
    dash ? { colour, label, dash } : { colour, label }])),
  /** Return the text drawn on a message: its kind, the step it is about and the saga (T2 g1, C1 g1). */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || message.type.toUpperCase();
    const body = message.body || {};
    const step = body.step === undefined || !['T', 'C'].includes(base) ? '' : body.step;
    return body.saga ? `${base}${step} ${body.saga}` : base;
  },
  panels: [sagaTimelinePanel],
};
