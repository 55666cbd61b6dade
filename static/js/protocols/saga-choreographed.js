// The encoding table of the choreographed saga (protocols/sagachoreo/).
//
// Okabe-Ito colours, each paired with a word. A service's phase is its relay's: idle green, publishing an
// outbox row orange. The broker: ready green. Messages: a relay's publish orange, the broker's deliveries
// blue, answers (the broker's publish_ok, a service's ack) green and dashed. A publish and a delivery are
// labelled with the event they carry (g1.done.s1: saga g1's step ran at s1; failed, undone). Its panel is
// the sagas' timeline (panels/saga-timeline.js), drawn from the records every service logs.

import { PALETTE } from './palette.js';
import { sagaTimelinePanel } from '../panels/saga-timeline.js';

const ACK = '6 4';

/** [phase, colour]: each phase's word is its own name. */
const PHASES = [['idle', PALETTE.green], ['publishing', PALETTE.orange], ['ready', PALETTE.green]];

/** [message type, colour, word, dash]: requests solid, answers dashed. */
const MESSAGES = [
  ['publish', PALETTE.orange, 'PUBLISH'], ['publish_ok', PALETTE.green, 'OK', ACK],
  ['deliver', PALETTE.blue, 'EVENT'], ['ack', PALETTE.green, 'ACK', ACK],
];

export default {
  name: 'saga-choreographed',
  roleOrder: ['service', 'broker'],
  roles: {
    service: { label: 'Service', shape: 'square', short: 'S' },
    broker: { label: 'Broker', shape: 'circle', short: 'B' },
  },
  phases: Object.fromEntries(PHASES.map(([phase, colour]) => [phase, { colour, label: phase }])),
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: { service: ['idle', 'publishing'], broker: ['ready'] },
  messages: Object.fromEntries(MESSAGES.map(([type, colour, label, dash]) => [type,
    dash ? { colour, label, dash } : { colour, label }])),
  /** Return the text drawn on a message: its type and, for a publish or a delivery, the event it carries. */
  messageLabel(message) {
    const base = (this.messages[message.type] || {}).label || message.type.toUpperCase();
    const body = message.body || {};
    return (message.type === 'publish' || message.type === 'deliver') && body.id ? `${base} ${body.id}` : base;
  },
  panels: [sagaTimelinePanel],
};
