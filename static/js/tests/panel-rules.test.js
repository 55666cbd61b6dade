// The browser draws; it never decides. A panel (static/js/panels) shows what the protocol or the
// checker recorded: it may not restate a protocol's rule. This static check reads every panel module
// and fails on the shapes such copies took before they were removed: a fact derived from the run's
// parameters (a lease), a node dealt round-robin from its name (a home registry), a quorum or a
// tolerance computed again (2f + 1, (n - 1) / 3), a state machine's edges written out (a breaker's),
// a node's role guessed from its name (c1, c2: a client),
// a number parsed out of an event's English words ("N ms old"). Panels import only each other and a
// short list of pure helpers (DOM, translation, colours, a finding's template filling).
// An exception needs a line in ALLOWED with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

const PANELS = new URL('../panels/', import.meta.url);

/** Modules outside static/js/panels a panel may import: pure helpers that know no protocol. */
export const HELPERS = ['../dom.js', '../i18n.js', '../findings.js', '../protocols/palette.js'];

/** Shapes of a protocol rule restated in the browser: [name, regular expression, what to do instead]. */
export const RULES = [
  ['the run\'s parameters', /\bctx\.params\b|\bparams\.[a-z_]+/, 'have the protocol record the derived fact in its state'],
  ['a node dealt by its name', /parseInt\(.*\.slice\(1\)|%\s*[\w.]*(registr|replica|shard|cache|node)\w*\.length/,
    'record the assignment in the node\'s state (as a consumer records its home registry)'],
  ['a quorum or a tolerance', /2\s*\*\s*[\w.]*\bf\b\s*\+\s*1|-\s*1\s*\)\s*\/\s*3/,
    'read the numbers the protocol records (a BFT client\'s f, quorum and counts_at)'],
  ['a state machine written out', /\{\s*from:\s*['"][\w-]+['"]\s*,\s*to:/,
    'draw the machine the spec declares (catalogue facts, as the breaker\'s)'],
  ['a role guessed from a name', /\/\^[a-z]+\\d\+\$?\/\.test\(/, 'read the node\'s role from its start event'],
  ['words parsed for a number', /\.(exec|match|test)\([^)]*\.text\b|\.text\b[^;\n]*\.(match|split|startsWith|indexOf)\(|ms old/,
    'read the datum from the finding\'s data (a stale read\'s age_ms)'],
  ['a cost counted from the nodes', /\b\d+\s*\*\s*[\w.]*\b(shards|replicas|caches|nodes|registries)\b[\w.]*\.length/,
    'read what the protocol records (a sharded client\'s read_messages)'],
  ['a lease\'s end guessed from the cause', /cause\s*===?\s*['"]msg:release['"]|['"]timer:lease['"]/,
    'read how the lock recorded it (its state\'s ended: released or expired)'],
  ['a TTL judged against the clock', /\.exp\s*[<>]=?|[<>]=?\s*[\w.]*\.exp\b|now:\s*snap\.time/,
    'read which entries the cache recorded as expired (cache-aside\'s expired)'],
  ['an expiry or an age against the playhead', /\bnow\s*(?:[<>]=?|-)\s*[\w.]*\b(?:expires|expires_at|renew|cache_at)\b/,
    'read the node\'s own verdict and times (a registry entry\'s overdue, its renew; a consumer\'s cache_at)'],
];

/** From-scratch folds of the whole log: a panel reads them through its folds (definePanel), never calls them. */
export const WHOLE_LOG = ['counterHistory', 'lockHistory', 'bftView', 'callSummaries', 'foldLog'];

/** Exceptions: [file, text, why]. */
export const WHOLE_LOG_ALLOWED = [
  ['services-waterfall.js', 'return [...foldLog(CALLS, events, upToSeq)', 'callSummaries itself: the from-scratch form tests compare with'],
];

/** Exceptions: [file, the offending text, why it is not a protocol rule]. Keep it short. */
export const ALLOWED = [];

/** Return every rule a source breaks, as [rule name, line number, line]; `file` for the allow-list. */
export function breaches(source, file = '') {
  const found = [];
  source.split('\n').forEach((line, i) => {
    if (/^\s*(\/\/|\*|\/\*\*)/.test(line)) return; // comments may describe what is forbidden
    for (const [name, pattern] of RULES) {
      if (!pattern.test(line)) continue;
      if (ALLOWED.some(([f, text]) => f === file && line.includes(text))) continue;
      found.push([name, i + 1, line.trim()]);
    }
    const imported = /^\s*import\b.*\bfrom\s+'([^']+)'/.exec(line);
    if (imported && !imported[1].startsWith('./') && !HELPERS.includes(imported[1])) {
      found.push([`an import of ${imported[1]}`, i + 1, line.trim()]);
    }
  });
  return found;
}

test('no panel restates a protocol rule', () => {
  const files = fs.readdirSync(PANELS).filter((f) => f.endsWith('.js'));
  assert.ok(files.length >= 15, 'the panels are where this test looks');
  const all = files.flatMap((f) => breaches(fs.readFileSync(new URL(f, PANELS), 'utf8'), f)
    .map(([rule, line, text]) => `${f}:${line}: ${rule}: ${text}`));
  assert.deepEqual(all, []);
});

test('the check catches the copies that were removed', () => {
  const removed = [
    'const lease = leaseOf(ctx.params);',
    "if (entry) health = now > entry.expires ? 'DOWN' : 'UP';",
    'beatAgo: entry ? now - entry.renew : null,',
    'age: Number.isFinite(state.cache_at) ? now - state.cache_at : null,',
    'return Number.isFinite(params.heartbeat_ms) ? Math.trunc(params.heartbeat_ms * params.missed_beats) : null;',
    'const number = parseInt(String(name).slice(1), 10);',
    'return registries[(number - 1) % registries.length];',
    'const f = Math.floor((list.length - 1) / 3);',
    'return { f, quorum: 2 * f + 1 };',
    "{ from: 'closed', to: 'open', counter: 'opened' },",
    "const m = AGE.exec(e.text || '');",
    'const AGE = /(\\d+) ms old/;',
    "import { lease_ms } from '../protocols/service-registry.js';",
    "if (e.kind === 'state' && /^c\\d+$/.test(e.node || '') && e.state) {",
    "{ n: 2 * view.shards.length });",
    "if (!tokens.has(lease.token)) close(lease, e.time, e.cause === 'msg:release' ? 'released' : 'expired');",
    "if (entry.exp !== undefined && entry.exp <= now) return 'expired';",
    'const matrix = buildMatrix(snap.nodes, { now: snap.time });',
  ];
  for (const line of removed) assert.ok(breaches(line).length, `not caught: ${line}`);
  assert.deepEqual(breaches("import { h } from '../dom.js';\nconst ok = view.quorum;"), []);
});

test('every panel is made by definePanel and reads the log through its folds, never from the start', () => {
  const files = fs.readdirSync(PANELS).filter((f) => f.endsWith('.js'));
  const panels = files.filter((f) => f !== 'define.js' && /\blabelKey:/.test(fs.readFileSync(new URL(f, PANELS), 'utf8')));
  assert.ok(panels.length >= 13, `the panel modules: ${panels.join(', ')}`);
  const found = [];
  for (const f of panels) {
    const source = fs.readFileSync(new URL(f, PANELS), 'utf8');
    if (!/\bdefinePanel\(/.test(source)) found.push(`${f}: not made by definePanel`);
    if (/\bupdate\(frame\)\s*\{/.test(source)) found.push(`${f}: its own update (definePanel does the redraw check)`);
    const code = source.replace(/^\s*(\/\/|\*|\/\*\*).*$/gm, '').split('\n')
      .filter((line) => !WHOLE_LOG_ALLOWED.some(([file, text]) => file === f && line.includes(text))).join('\n');
    for (const name of WHOLE_LOG) {
      if (new RegExp(`(?<!function )\\b${name}\\(`).test(code)) {
        found.push(`${f}: calls ${name}, a fold of the whole log (read it through definePanel's folds)`);
      }
    }
  }
  assert.deepEqual(found, []);
});
