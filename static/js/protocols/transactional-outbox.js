// The encoding table of the transactional outbox (protocols/outbox/).
//
// Okabe-Ito colours, each paired with a word. Clients: thinking sky blue, waiting for an answer purple,
// done bluish green. The service: idle green, writing its database blue, publishing orange, committing
// the order with its outbox row yellow. The relay: sleeping grey, waiting to poll sky blue, polling blue,
// publishing orange, marking a row yellow. The database, the broker and the consumer: ready green.
// Messages: orders and their answers purple (a refusal vermillion), database writes and commits blue,
// publishes and deliveries orange, the relay's polls and marks sky blue and yellow, acknowledgements
// green, dashed.

import { PALETTE } from './palette.js';
import { outboxOrdersPanel } from '../panels/outbox-orders.js';

const ACK = '6 4';

/** [phase, colour]: each phase's word is its own name. */
const PHASES = [
  ['thinking', PALETTE.sky], ['waiting', PALETTE.purple], ['done', PALETTE.green], ['idle', PALETTE.green],
  ['writing', PALETTE.blue], ['publishing', PALETTE.orange], ['committing', PALETTE.yellow],
  ['sleeping', PALETTE.grey], ['polling', PALETTE.blue], ['marking', PALETTE.yellow], ['ready', PALETTE.green],
];

/** [message type, colour, word, dash]: requests solid, answers dashed. */
const MESSAGES = [
  ['order', PALETTE.purple, 'ORDER'], ['order_ok', PALETTE.green, 'OK', ACK],
  ['order_failed', PALETTE.vermillion, 'FAILED', ACK],
  ['write', PALETTE.blue, 'WRITE'], ['write_ok', PALETTE.green, 'OK', ACK],
  ['write_refused', PALETTE.vermillion, 'REFUSED', ACK],
  ['commit', PALETTE.blue, 'COMMIT + ROW'], ['commit_ok', PALETTE.green, 'OK', ACK],
  ['commit_refused', PALETTE.vermillion, 'REFUSED', ACK],
  ['wake', PALETTE.grey, 'WAKE', '2 3'], ['poll', PALETTE.sky, 'POLL'], ['rows', PALETTE.sky, 'ROWS', ACK],
  ['publish', PALETTE.orange, 'PUBLISH'], ['publish_ok', PALETTE.green, 'OK', ACK],
  ['mark', PALETTE.yellow, 'MARK'], ['mark_ok', PALETTE.green, 'OK', ACK],
  ['deliver', PALETTE.orange, 'EVENT'], ['ack', PALETTE.green, 'ACK', ACK],
];

export default {
  name: 'transactional-outbox',
  roleOrder: ['client', 'service', 'database', 'relay', 'broker', 'consumer'],
  /** Two rows for six roles (one row each would push the consumer under the legend on a laptop): the order
   * and its commit above, the event's way to the consumer below. */
  tiers: [['client', 'service', 'database'], ['relay', 'broker', 'consumer']],
  roles: {
    client: { label: 'Client', shape: 'circle', short: 'C' },
    service: { label: 'Service', shape: 'square', short: 'S' },
    database: { label: 'Database', shape: 'square', short: 'D' },
    relay: { label: 'Relay', shape: 'circle', short: 'R' },
    broker: { label: 'Broker', shape: 'square', short: 'B' },
    consumer: { label: 'Consumer', shape: 'square', short: 'K' },
  },
  phases: Object.fromEntries(PHASES.map(([phase, colour]) => [phase, { colour, label: phase }])),
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    client: ['thinking', 'waiting', 'done'],
    service: ['idle', 'writing', 'publishing', 'committing'],
    database: ['ready'],
    relay: ['sleeping', 'waiting', 'polling', 'publishing', 'marking'],
    broker: ['ready'],
    consumer: ['ready'],
  },
  messages: Object.fromEntries(MESSAGES.map(([type, colour, label, dash]) => [type,
    dash ? { colour, label, dash } : { colour, label }])),
  panels: [outboxOrdersPanel],
};
