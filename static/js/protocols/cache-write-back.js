// The cache-write-back policy's encoding: the cache family's table (cache-tables.js) under its name.

import { cacheTable } from './cache-tables.js';

export default cacheTable('cache-write-back');
