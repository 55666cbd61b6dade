// The encoding table of the naive counter: clients and a store (see counters-common.js).

import { ROLES, PHASES, MESSAGES, messageLabel } from './counters-common.js';
import { countersValuePanel } from '../panels/counters-value.js';

export default {
  name: 'counter-naive',
  roleOrder: ['client', 'store'],
  roles: { client: ROLES.client, store: ROLES.store },
  phases: PHASES,
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: { client: ['thinking', 'reading', 'writing', 'done'], store: ['serving'] },
  messages: MESSAGES,
  messageLabel,
  panels: [countersValuePanel],
};
