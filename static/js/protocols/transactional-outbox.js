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

export default {
  name: 'transactional-outbox',
  roleOrder: ['client', 'service', 'database', 'relay', 'broker', 'consumer'],
  roles: {
    client: { label: 'Client', shape: 'circle', short: 'C' },
    service: { label: 'Service', shape: 'square', short: 'S' },
    database: { label: 'Database', shape: 'square', short: 'D' },
    relay: { label: 'Relay', shape: 'circle', short: 'R' },
    broker: { label: 'Broker', shape: 'square', short: 'B' },
    consumer: { label: 'Consumer', shape: 'square', short: 'K' },
  },
  phases: {
    thinking: { colour: PALETTE.sky, label: 'thinking' },
    waiting: { colour: PALETTE.purple, label: 'waiting' },
    done: { colour: PALETTE.green, label: 'done' },
    idle: { colour: PALETTE.green, label: 'idle' },
    writing: { colour: PALETTE.blue, label: 'writing' },
    publishing: { colour: PALETTE.orange, label: 'publishing' },
    committing: { colour: PALETTE.yellow, label: 'committing' },
    sleeping: { colour: PALETTE.grey, label: 'sleeping' },
    polling: { colour: PALETTE.blue, label: 'polling' },
    marking: { colour: PALETTE.yellow, label: 'marking' },
    ready: { colour: PALETTE.green, label: 'ready' },
  },
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    client: ['thinking', 'waiting', 'done'],
    service: ['idle', 'writing', 'publishing', 'committing'],
    database: ['ready'],
    relay: ['sleeping', 'waiting', 'polling', 'publishing', 'marking'],
    broker: ['ready'],
    consumer: ['ready'],
  },
  messages: {
    order: { colour: PALETTE.purple, label: 'ORDER' },
    order_ok: { colour: PALETTE.green, label: 'OK', dash: '6 4' },
    order_failed: { colour: PALETTE.vermillion, label: 'FAILED', dash: '6 4' },
    write: { colour: PALETTE.blue, label: 'WRITE' },
    write_ok: { colour: PALETTE.green, label: 'OK', dash: '6 4' },
    write_refused: { colour: PALETTE.vermillion, label: 'REFUSED', dash: '6 4' },
    commit: { colour: PALETTE.blue, label: 'COMMIT + ROW' },
    commit_ok: { colour: PALETTE.green, label: 'OK', dash: '6 4' },
    commit_refused: { colour: PALETTE.vermillion, label: 'REFUSED', dash: '6 4' },
    wake: { colour: PALETTE.grey, label: 'WAKE', dash: '2 3' },
    poll: { colour: PALETTE.sky, label: 'POLL' },
    rows: { colour: PALETTE.sky, label: 'ROWS', dash: '6 4' },
    publish: { colour: PALETTE.orange, label: 'PUBLISH' },
    publish_ok: { colour: PALETTE.green, label: 'OK', dash: '6 4' },
    mark: { colour: PALETTE.yellow, label: 'MARK' },
    mark_ok: { colour: PALETTE.green, label: 'OK', dash: '6 4' },
    deliver: { colour: PALETTE.orange, label: 'EVENT' },
    ack: { colour: PALETTE.green, label: 'ACK', dash: '6 4' },
  },
  panels: [outboxOrdersPanel],
};
