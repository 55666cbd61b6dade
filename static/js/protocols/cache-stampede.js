// The cache-stampede policy's encoding: the cache family's table (cache-tables.js) under its name,
// with the hot key's phases at a cache left to right (empty, filling, fresh, stale) and the
// database's (idle, busy: a query running). A lease's miss is drawn MISS k0 LEASE n, a stale
// answer STALE k0=v, a lease's refusal RETRY, an XFetch reader's early read of the database
// DB READ k0 EARLY. Its first panel is the database's load over time (the herd's spike).

import { cacheTable } from './cache-tables.js';
import { loadPanel } from '../panels/stampede-load.js';

const table = cacheTable('cache-stampede');

/** Return the text drawn on a message: the family's, with an XFetch reader's early read marked. */
function messageLabel(message) {
  const base = table.messageLabel(message);
  const echo = (message.body && message.body.echo) || {};
  return message.type === 'db_read' && echo.early ? `${base} EARLY` : base;
}

export default {
  ...table,
  messageLabel,
  phaseOrder: { ...table.phaseOrder, cache: ['empty', 'filling', 'fresh', 'stale'], db: ['idle', 'busy'] },
  panels: [loadPanel, ...table.panels],
};
