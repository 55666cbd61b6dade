// The Explore tab's pure parts: the report in words (verdicts, numbers, depth), and the job API and
// its polling against a fake server and a fake clock: no network, no sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { makeTranslator } from '../i18n.js';
import {
  formatCount, formatSeconds, depthText, summaryLine, verdict, findingRows, findingGroups,
  MAX_STATES_CHOICES, DEFAULT_MAX_STATES,
} from '../explore-report.js';
import {
  requestJson, startSearch, openCounterexample, followJob, ApiError, POLL_MS, MAX_POLL_FAILURES, MAX_POLLS,
} from '../explore-job.js';

const KEYS = JSON.parse(readFileSync(new URL('../i18n-keys.json', import.meta.url)));
const t = makeTranslator({}, KEYS);

const report = (over = {}) => ({
  protocol: 'two-phase-commit', params: { participants: 3 }, seed: 1, max_states: 20000, max_drops: 0, max_crashes: 0,
  states: 21374, expanded: 21374, transitions: 78649, max_depth: 19, elapsed_s: 4.083, states_per_s: 5234.9,
  complete: true, stopped: 'complete', counterexamples: [], ...over,
});

const finding = (name, depth, kind = 'violation', category = 'safety') => ({
  kind, category, name, text: `${name} broke`, nodes: ['p1'], depth, commands: Array.from({ length: depth }, () => ({ cmd: 'deliver', id: 'm1' })),
});

// ------------------------------------------------------------------ the report in words

test('counts and seconds are written the way the language does', () => {
  assert.equal(formatCount(21374, 'en'), '21,374');
  assert.equal(formatCount(5000, 'en'), '5,000');
  assert.equal(formatCount(7, 'en'), '7');
  assert.equal(formatCount(21374, 'de'), '21.374');
  assert.equal(formatSeconds(4.083, 'en'), '4.1');
  assert.equal(formatSeconds(12, 'en'), '12.0');
  assert.equal(formatSeconds(0.042, 'en'), '0.04', 'a quick search does not read 0.0');
  assert.equal(formatSeconds(0, 'en'), '0.0');
});

test('the summary line says how much was searched', () => {
  assert.equal(summaryLine(report(), t, 'en'), '21,374 worlds, 78,649 transitions, depth 19, 4.1 s');
});

test('a complete search with nothing found is the green verdict', () => {
  assert.deepEqual(verdict(report(), t, 'en'),
    { kind: 'safe', text: 'Search complete: no invariant breaks in any order of this model.' });
});

test('a search stopped by its budget with nothing found proves nothing: the amber verdict', () => {
  const stopped = report({ states: 20000, complete: false, stopped: 'max-states' });
  assert.deepEqual(verdict(stopped, t, 'en'), {
    kind: 'partial',
    text: 'Stopped after 20,000 worlds: no violation found so far, but the search is not complete.',
  });
});

test('counterexamples are the red verdict, complete search or not, counted in words', () => {
  assert.deepEqual(verdict(report({ counterexamples: [finding('atomicity', 4)] }), t, 'en'),
    { kind: 'broken', text: '1 way to break it · every world was searched' });
  const many = report({ complete: false, counterexamples: [finding('atomicity', 4), finding('validity', 6)] });
  assert.deepEqual(verdict(many, t, 'en'),
    { kind: 'broken', text: '2 ways to break it · the search stopped at its budget: there may be more' });
});

test('a finding the lesson expects leaves a complete search clean: green, and said so', () => {
  const expected = report({ counterexamples: [finding('one-believer-at-a-time', 8, 'violation', 'illustrative')] });
  assert.deepEqual(verdict(expected, t, 'en'), { kind: 'safe', text: t('explore.clean.illustrative') });
  assert.notEqual(t('explore.clean.illustrative'), 'explore.clean.illustrative');
  assert.equal(verdict({ ...expected, complete: false }, t, 'en').kind, 'partial');
});

test('only safety and liveness findings are counted as ways to break it', () => {
  const mixed = report({ counterexamples: [
    finding('one-believer-at-a-time', 8, 'violation', 'illustrative'), finding('termination', 9, 'violation', 'liveness')] });
  assert.deepEqual(verdict(mixed, t, 'en'), { kind: 'broken', text: '1 way to break it · every world was searched' });
});

test('findings are grouped by kind, in the order safety, liveness, illustrative, keeping their index', () => {
  const mixed = report({ counterexamples: [
    finding('one-believer-at-a-time', 8, 'violation', 'illustrative'), finding('termination', 9, 'violation', 'liveness'),
    finding('consistency', 4)] });
  const groups = findingGroups(mixed, t);
  assert.deepEqual(groups.map((g) => [g.category, g.rows.map((r) => r.index)]),
    [['safety', [2]], ['liveness', [1]], ['illustrative', [0]]]);
  for (const g of groups) assert.equal(g.title, t(`explore.kind.${g.category}`));
  assert.notEqual(groups[0].title, 'explore.kind.safety');
  const older = { kind: 'violation', name: 'x', text: '', nodes: [], commands: [] }; // a report from before categories
  assert.equal(findingGroups(report({ counterexamples: [older] }), t)[0].category, 'safety');
});

test('depth is said in steps, singular and plural', () => {
  assert.equal(depthText(4, t), 'in 4 steps');
  assert.equal(depthText(1, t), 'in 1 step');
  assert.equal(depthText(0, t), 'from the start');
});

test('finding rows keep the report order (its index opens the session) and mark exceptions', () => {
  const rows = findingRows(report({ counterexamples: [finding('atomicity', 4), finding('ProtocolError', 2, 'exception')] }), t);
  assert.deepEqual(rows, [
    { index: 0, name: 'atomicity', text: 'atomicity broke', depth: 'in 4 steps', exception: false, category: 'safety' },
    { index: 1, name: 'ProtocolError', text: 'ProtocolError broke', depth: 'in 2 steps', exception: true, category: 'safety' },
  ]);
  const noDepth = { kind: 'violation', name: 'x', text: '', nodes: [], commands: [{ cmd: 'fire', id: 't1' }] };
  assert.equal(findingRows(report({ counterexamples: [noDepth] }), t)[0].depth, 'in 1 step');
});

test('a finding is said in the page\'s words: its template, and the fields that hold words (an outcome, a phase)', () => {
  const alone = {
    ...finding('decided-without-coordinator', 6, 'violation', 'illustrative'),
    finding: { id: 'decided-alone', data: { node: 'aborted', phase: 'uncertain', outcome: 'aborted' } },
  };
  const templates = { 'decided-alone': '{node} 在{phase}状态下超时，独自决定：{outcome}' };
  const vocabulary = { words: { uncertain: '不确定', aborted: '已中止' }, fields: { 'decided-alone': ['outcome', 'phase'] } };
  // A node that happened to be named like a word stays as named: only the declared fields are words.
  assert.equal(findingRows(report({ counterexamples: [alone] }), t, templates, vocabulary)[0].text,
    'aborted 在不确定状态下超时，独自决定：已中止');
  assert.equal(findingGroups(report({ counterexamples: [alone] }), t, templates, vocabulary)[0].rows[0].text,
    'aborted 在不确定状态下超时，独自决定：已中止');
  // Without a vocabulary (an older catalogue) the data are shown as recorded.
  assert.equal(findingRows(report({ counterexamples: [alone] }), t, templates)[0].text,
    'aborted 在uncertain状态下超时，独自决定：aborted');
});

test('the budget offered is within what the server accepts', () => {
  assert.ok(MAX_STATES_CHOICES.includes(DEFAULT_MAX_STATES));
  assert.ok(MAX_STATES_CHOICES.every((n) => n >= 1 && n <= 50000));
});

test('every explore key has English text', () => {
  for (const key of ['tabs.explore', 'explore.intro', 'explore.run', 'explore.searching', 'explore.controllerOnly', 'explore.step']) {
    assert.ok(typeof KEYS[key] === 'string' && KEYS[key].length, key);
  }
});

// ------------------------------------------------------------------ the API

/** A fake fetch: answers from `routes` ("METHOD url" -> [status, body] or a function of the request), logs calls. */
function fakeFetch(routes) {
  const calls = [];
  const fetchFn = async (url, init = {}) => {
    const method = init.method || 'GET';
    calls.push({ method, url, body: init.body ? JSON.parse(init.body) : undefined });
    let answer = routes[`${method} ${url}`];
    if (typeof answer === 'function') answer = answer(calls[calls.length - 1]);
    if (answer instanceof Error) throw answer;
    if (!answer) answer = [404, { error: 'not_found', message: 'no such thing' }];
    const [status, body] = answer;
    return { ok: status >= 200 && status < 300, status, statusText: '', json: async () => body };
  };
  return { fetchFn, calls };
}

test('starting a search posts the token and the budget to the session', async () => {
  const { fetchFn, calls } = fakeFetch({ 'POST /api/sessions/s%201/explore': [202, { job: 'j1', url: '/api/explore/j1' }] });
  const job = await startSearch(fetchFn, 's 1', { token: 'tok', maxStates: 20000, maxDrops: 1, maxCrashes: 2 });
  assert.deepEqual(job, { job: 'j1', url: '/api/explore/j1' });
  assert.deepEqual(calls[0].body, { control_token: 'tok', max_states: 20000, max_drops: 1, max_crashes: 2 });
});

test("a refusal carries the server's message and error word", async () => {
  const { fetchFn } = fakeFetch({ 'POST /api/sessions/s/explore': [409, { error: 'busy', message: 'A search is already running' }] });
  await assert.rejects(startSearch(fetchFn, 's', { token: 't', maxStates: 5000, maxDrops: 0, maxCrashes: 0 }),
    (err) => err instanceof ApiError && err.status === 409 && err.code === 'busy' && err.message === 'A search is already running');
  const notJson = async () => ({ ok: false, status: 502, statusText: 'Bad Gateway', json: async () => { throw new SyntaxError('<html>'); } });
  await assert.rejects(requestJson(notJson, '/x'), { message: 'Bad Gateway' });
});

test('opening a counterexample returns the link that controls the new session', async () => {
  const { fetchFn, calls } = fakeFetch({
    'POST /api/explore/j1/sessions': [201, { id: 'abc', control_token: 'k/1', url: '/s/abc', ws: '/ws/sessions/abc' }],
  });
  assert.equal(await openCounterexample(fetchFn, '/api/explore/j1', 2), '/s/abc#token=k%2F1');
  assert.deepEqual(calls[0].body, { counterexample: 2 });
});

// ------------------------------------------------------------------ polling

/** A fake clock: timers run only when the test says so. */
function fakeTimers() {
  const pending = new Map();
  let next = 1;
  return {
    setTimeout(fn, ms) { pending.set(next, { fn, ms }); return next++; },
    clearTimeout(id) { pending.delete(id); },
    get count() { return pending.size; },
    /** Run every due timer once, then let the awaited fetch settle. */
    async fire() {
      const due = [...pending.entries()];
      pending.clear();
      for (const [, { fn, ms }] of due) { assert.equal(ms, POLL_MS); fn(); }
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

test('a job is polled every interval until it is done, then polling stops', async () => {
  const answers = [{ status: 'running' }, { status: 'running' }, { status: 'done', report: report() }];
  const { fetchFn, calls } = fakeFetch({ 'GET /api/explore/j1': () => [200, { job: 'j1', ...answers.shift() }] });
  const timers = fakeTimers();
  const seen = [];
  followJob('/api/explore/j1', { fetchFn, timers, onUpdate: (job) => seen.push(job.status) });
  assert.equal(calls.length, 0, 'the first poll waits one interval');
  for (let i = 0; i < 3; i += 1) await timers.fire();
  assert.deepEqual(seen, ['running', 'running', 'done']);
  assert.equal(calls.length, 3);
  assert.equal(timers.count, 0, 'nothing is scheduled after the final answer');
});

test('a failed job ends the polling with its error', async () => {
  const { fetchFn } = fakeFetch({ 'GET /j': [200, { job: 'j', status: 'failed', error: 'MemoryError' }] });
  const timers = fakeTimers();
  const seen = [];
  followJob('/j', { fetchFn, timers, onUpdate: (job) => seen.push(job) });
  await timers.fire();
  assert.deepEqual(seen, [{ job: 'j', status: 'failed', error: 'MemoryError' }]);
  assert.equal(timers.count, 0);
});

test('a job the server no longer knows is lost at once', async () => {
  const { fetchFn } = fakeFetch({ 'GET /j': [404, { error: 'not_found', message: 'No such job' }] });
  const timers = fakeTimers();
  const seen = [];
  followJob('/j', { fetchFn, timers, onUpdate: (job) => seen.push(job) });
  await timers.fire();
  assert.deepEqual(seen, [{ status: 'lost', reason: 'gone', message: 'No such job' }]);
  assert.equal(timers.count, 0);
});

test('a few failed polls are forgiven; too many in a row lose the job', async () => {
  let down = 2;
  const { fetchFn, calls } = fakeFetch({
    'GET /j': () => (down-- > 0 ? new TypeError('Failed to fetch') : [200, { status: 'running' }]),
  });
  const timers = fakeTimers();
  const seen = [];
  followJob('/j', { fetchFn, timers, onUpdate: (job) => seen.push(job.status) });
  for (let i = 0; i < 3; i += 1) await timers.fire();
  assert.deepEqual(seen, ['running'], 'two misses, then an answer');
  down = Infinity;
  for (let i = 0; i < MAX_POLL_FAILURES; i += 1) await timers.fire();
  assert.deepEqual(seen, ['running', 'lost']);
  assert.equal(timers.count, 0);
  assert.equal(calls.length, 3 + MAX_POLL_FAILURES);
});

test('a job running past the poll limit is given up', async () => {
  const { fetchFn } = fakeFetch({ 'GET /j': [200, { status: 'running' }] });
  const timers = fakeTimers();
  const seen = [];
  followJob('/j', { fetchFn, timers, onUpdate: (job) => seen.push(job.status) });
  for (let i = 0; i < MAX_POLLS; i += 1) await timers.fire();
  assert.equal(seen.length, MAX_POLLS);
  assert.equal(seen[seen.length - 1], 'lost');
  assert.equal(timers.count, 0);
});

test('no poll is sent while hidden; waking resumes', async () => {
  const { fetchFn, calls } = fakeFetch({ 'GET /j': [200, { status: 'running' }] });
  const timers = fakeTimers();
  let visible = true;
  const follower = followJob('/j', { fetchFn, timers, onUpdate: () => {}, isActive: () => visible });
  await timers.fire();
  assert.equal(calls.length, 1);
  visible = false;
  await timers.fire();
  assert.equal(calls.length, 1, 'parked: the due poll was not sent');
  assert.equal(timers.count, 0);
  follower.wake();
  assert.equal(timers.count, 0, 'still hidden: waking does nothing');
  visible = true;
  follower.wake();
  await timers.fire();
  assert.equal(calls.length, 2);
  follower.wake();
  assert.equal(timers.count, 1, 'waking a follower that is polling does not add a second timer');
});

test('stop cancels the next poll and ignores an answer already on its way', async () => {
  let release;
  const { fetchFn } = fakeFetch({ 'GET /j': () => [200, { status: 'done', report: report() }] });
  const slow = (url, init) => new Promise((resolve) => { release = () => resolve(fetchFn(url, init)); });
  const timers = fakeTimers();
  const seen = [];
  const follower = followJob('/j', { fetchFn: slow, timers, onUpdate: (job) => seen.push(job) });
  await timers.fire();
  follower.stop();
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, []);
  const idle = followJob('/j', { fetchFn, timers, onUpdate: (job) => seen.push(job) });
  idle.stop();
  assert.equal(timers.count, 0);
});
