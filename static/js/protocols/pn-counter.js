// The encoding table of the PN-counter: the G-counter's (g-counter.js), with decrements.
//
// An increment travels as "ADD +1 #n", a decrement as "ADD −1 #n"; gossip carries both vectors
// ("+P −N"). The panel shows each replica's P and N rows.

import gCounter from './g-counter.js';

export default { ...gCounter, name: 'pn-counter' };
