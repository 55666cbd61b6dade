// BLAKE2b with an 8-byte digest (RFC 7693), the hash protocols/common/ring.py uses, so the ring
// panel puts every key and virtual node exactly where the simulator did. Python reads the digest
// as a big-endian integer: `stableHash` returns the same number, as a BigInt.
//
// 64-bit words are kept as two 32-bit halves (low, high) in a Uint32Array: BigInt arithmetic
// would be some twenty times slower, and a ring of 8 x 500 points plus 10,000 keys is hashed
// whenever the membership changes.

const IV = new Uint32Array([
  0xF3BCC908, 0x6A09E667, 0x84CAA73B, 0xBB67AE85, 0xFE94F82B, 0x3C6EF372, 0x5F1D36F1, 0xA54FF53A,
  0xADE682D1, 0x510E527F, 0x2B3E6C1F, 0x9B05688C, 0xFB41BD6B, 0x1F83D9AB, 0x137E2179, 0x5BE0CD19,
]);

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
/** Twelve rounds (the last two repeat the first two), as offsets of 32-bit halves. */
const SIGMA2 = [...SIGMA, SIGMA[0], SIGMA[1]].map((row) => row.map((i) => 2 * i));

const v = new Uint32Array(32);
const m = new Uint32Array(32);

function add(a, b) { // v[a] += v[b]
  const lo = v[a] + v[b];
  v[a + 1] = v[a + 1] + v[b + 1] + (lo >= 0x100000000 ? 1 : 0);
  v[a] = lo;
}

function addWord(a, lo0, hi0) { // v[a] += (lo0, hi0)
  const lo = v[a] + lo0;
  v[a + 1] = v[a + 1] + hi0 + (lo >= 0x100000000 ? 1 : 0);
  v[a] = lo;
}

function mix(a, b, c, d, x, y) {
  add(a, b); addWord(a, m[x], m[x + 1]);
  let lo = v[d] ^ v[a]; let hi = v[d + 1] ^ v[a + 1];
  v[d] = hi; v[d + 1] = lo; // rotate right 32
  add(c, d);
  lo = v[b] ^ v[c]; hi = v[b + 1] ^ v[c + 1];
  v[b] = (lo >>> 24) ^ (hi << 8); v[b + 1] = (hi >>> 24) ^ (lo << 8); // rotate right 24
  add(a, b); addWord(a, m[y], m[y + 1]);
  lo = v[d] ^ v[a]; hi = v[d + 1] ^ v[a + 1];
  v[d] = (lo >>> 16) ^ (hi << 16); v[d + 1] = (hi >>> 16) ^ (lo << 16); // rotate right 16
  add(c, d);
  lo = v[b] ^ v[c]; hi = v[b + 1] ^ v[c + 1];
  v[b] = (hi >>> 31) ^ (lo << 1); v[b + 1] = (lo >>> 31) ^ (hi << 1); // rotate right 63
}

function compress(h, block, counted, last) {
  for (let i = 0; i < 16; i += 1) { v[i] = h[i]; v[i + 16] = IV[i]; }
  v[24] ^= counted >>> 0;
  v[25] ^= Math.floor(counted / 0x100000000);
  if (last) { v[28] = ~v[28]; v[29] = ~v[29]; }
  for (let i = 0; i < 32; i += 1) {
    m[i] = block[4 * i] | (block[4 * i + 1] << 8) | (block[4 * i + 2] << 16) | (block[4 * i + 3] << 24);
  }
  for (const s of SIGMA2) {
    mix(0, 8, 16, 24, s[0], s[1]); mix(2, 10, 18, 26, s[2], s[3]);
    mix(4, 12, 20, 28, s[4], s[5]); mix(6, 14, 22, 30, s[6], s[7]);
    mix(0, 10, 20, 30, s[8], s[9]); mix(2, 12, 22, 24, s[10], s[11]);
    mix(4, 14, 16, 26, s[12], s[13]); mix(6, 8, 18, 28, s[14], s[15]);
  }
  for (let i = 0; i < 16; i += 1) h[i] ^= v[i] ^ v[i + 16];
}

const encoder = new TextEncoder();

/** Return the 8-byte BLAKE2b digest of `text` (UTF-8) as bytes. */
export function blake2b8(text) {
  const data = encoder.encode(text);
  const h = new Uint32Array(IV);
  h[0] ^= 0x01010000 ^ 8; // no key, 8-byte digest
  const block = new Uint8Array(128);
  let offset = 0;
  while (data.length - offset > 128) { // every full block but the last
    block.set(data.subarray(offset, offset + 128));
    offset += 128;
    compress(h, block, offset, false);
  }
  block.fill(0);
  block.set(data.subarray(offset));
  compress(h, block, data.length, true);
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i += 1) out[i] = (h[i >> 2] >>> (8 * (i & 3))) & 0xFF;
  return out;
}

/** Return the 64-bit hash of `text`, as Python's `stable_hash` gives it (the digest read big-endian). */
export function stableHash(text) {
  const out = blake2b8(text);
  let value = 0n;
  for (const byte of out) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Return a hash's place on the circle, from 0 (inclusive) to 1 (exclusive). */
export function hashFraction(hash) {
  return Number(hash >> 11n) / 2 ** 53;
}
