// The encoding table of the lease lock with fencing tokens (see counters-common.js).

import { ROLES, PHASES, MESSAGES, messageLabel } from './counters-common.js';
import { locksTimelinePanel } from '../panels/locks-timeline.js';

export default {
  name: 'lock-lease',
  roleOrder: ['client', 'lock', 'store'],
  roles: ROLES,
  phases: PHASES,
  /** Left-to-right order of phases in the state diagram, per role. */
  phaseOrder: {
    client: ['thinking', 'acquiring', 'holding', 'committing', 'writing', 'done'],
    lock: ['free', 'held', 'recovering'],
    store: ['serving'],
  },
  messages: MESSAGES,
  messageLabel,
  panels: [locksTimelinePanel],
};
