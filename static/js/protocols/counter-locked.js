// The encoding table of the counter under a fenced lease lock (see counters-common.js).

import { ROLES, PHASES, MESSAGES, messageLabel } from './counters-common.js';
import { countersValuePanel } from '../panels/counters-value.js';
import { locksTimelinePanel } from '../panels/locks-timeline.js';

export default {
  name: 'counter-locked',
  roleOrder: ['client', 'lock', 'store'],
  roles: ROLES,
  phases: PHASES,
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    client: ['thinking', 'acquiring', 'reading', 'writing', 'done'],
    lock: ['free', 'held', 'recovering'],
    store: ['serving'],
  },
  messages: MESSAGES,
  messageLabel,
  panels: [countersValuePanel, locksTimelinePanel],
};
