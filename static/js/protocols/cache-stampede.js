// The cache-stampede policy's encoding: the cache family's table (cache-tables.js) under its name,
// with the hot key's phases at a cache left to right (empty, filling, fresh, stale) and the
// database's (idle, busy: a query running). A lease's miss is drawn MISS k0 LEASE n, a stale
// answer STALE k0=v, a lease's refusal RETRY.

import { cacheTable } from './cache-tables.js';

const table = cacheTable('cache-stampede');

export default {
  ...table,
  phaseOrder: { ...table.phaseOrder, cache: ['empty', 'filling', 'fresh', 'stale'], db: ['idle', 'busy'] },
};
