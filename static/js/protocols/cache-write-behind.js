// The cache-write-behind policy's encoding: the cache family's table (cache-tables.js) under its name,
// with the writer's two phases left to right (idle, flushing: a batch on its way). Its BATCH and
// BATCH APPLIED messages are in the family's table (green: writes reaching the database).

import { cacheTable } from './cache-tables.js';

const table = cacheTable('cache-write-behind');

export default { ...table, phaseOrder: { ...table.phaseOrder, cache: ['idle', 'flushing'] } };
