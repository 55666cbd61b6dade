// The explorer's HTTP API, seen from the browser: start a search for a session, follow its job until
// it ends, open a counterexample as a new session. No DOM: `fetch` and the timers are passed in, so
// Node tests the polling against a fake server and a fake clock.
//
//   POST /api/sessions/<id>/explore {control_token, max_states, max_drops, max_crashes}
//        -> 202 {job, url}            (403 not_controller, 409 busy, 400 bad_request|bad_parameter)
//   GET  <url>                      -> {job, status: running|done|failed, error?, report?}  (404: no such job)
//   POST <url>/sessions {counterexample: index} -> 201 {id, control_token, url, ws}

export const POLL_MS = 500;
/** How often a running job is asked about: a search of 20,000 worlds takes a few seconds. */

export const MAX_POLL_FAILURES = 5;
/**
 * Polls in a row that may fail to reach the server before the job counts as lost: a restart of the
 * lab takes a second or two, so a few misses are forgiven; a server gone for good is not waited on.
 */

export const MAX_POLLS = 1200;
/**
 * Polls of one job (ten minutes at POLL_MS). The server stops a search at 50,000 worlds, well under
 * a minute, so a job still "running" after this is stuck: stop asking rather than poll forever.
 */

/** An answer other than 2xx: `message` is the server's own (shown to the user), `code` its error word. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = '' } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Send a request and return its JSON body; throw an ApiError carrying the server's message on an error status. */
export async function requestJson(fetchFn, url, { method = 'GET', body } = {}) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetchFn(url, init);
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; } // an error page from a proxy is not JSON
  if (!response.ok) {
    const message = (data && data.message) || response.statusText || `HTTP ${response.status}`;
    throw new ApiError(message, { status: response.status, code: (data && data.error) || '' });
  }
  return data;
}

/** Start a search of session `sessionId`'s model; return {job, url}. */
export function startSearch(fetchFn, sessionId, { token, maxStates, maxDrops, maxCrashes }) {
  return requestJson(fetchFn, `/api/sessions/${encodeURIComponent(sessionId)}/explore`, {
    method: 'POST',
    body: { control_token: token, max_states: maxStates, max_drops: maxDrops, max_crashes: maxCrashes },
  });
}

/** Create a session replaying counterexample `index` of the job at `jobUrl`; return the link that controls it. */
export async function openCounterexample(fetchFn, jobUrl, index) {
  const created = await requestJson(fetchFn, `${jobUrl.replace(/\/+$/, '')}/sessions`, {
    method: 'POST', body: { counterexample: index },
  });
  return `${created.url}#token=${encodeURIComponent(created.control_token)}`;
}

/**
 * Poll the job at `url` every `intervalMs` until it is done or failed, calling `onUpdate(job)` with each
 * answer. A job that cannot be followed ends as {status: 'lost', reason, message}: reason 'gone' (the
 * server answered 4xx, such as 404 after a restart forgot the job), 'unreachable' (MAX_POLL_FAILURES
 * misses in a row) or 'stuck' (MAX_POLLS polls). While `isActive()` is false (the tab or the page is
 * hidden) no poll is sent; `wake()` resumes. Return {stop, wake}.
 */
export function followJob(url, { fetchFn, onUpdate, isActive = () => true, timers = globalThis, intervalMs = POLL_MS }) {
  let finished = false;
  let parked = false;
  let timer = null;
  let polls = 0;
  let failures = 0;

  function finish(job) {
    finished = true;
    onUpdate(job);
  }

  function schedule() {
    if (finished) return;
    if (!isActive()) { parked = true; return; }
    timer = timers.setTimeout(tick, intervalMs);
  }

  async function tick() {
    timer = null;
    if (finished) return;
    if (!isActive()) { parked = true; return; }
    polls += 1;
    let job;
    try {
      job = await requestJson(fetchFn, url);
    } catch (err) {
      if (finished) return; // stopped while the request was out
      const definite = err instanceof ApiError && err.status >= 400 && err.status < 500;
      failures += 1;
      if (definite) finish({ status: 'lost', reason: 'gone', message: err.message });
      else if (failures >= MAX_POLL_FAILURES) finish({ status: 'lost', reason: 'unreachable', message: err.message });
      else if (polls >= MAX_POLLS) finish({ status: 'lost', reason: 'stuck', message: '' });
      else schedule();
      return;
    }
    if (finished) return;
    failures = 0;
    if (job.status !== 'running') finish(job);
    else if (polls >= MAX_POLLS) finish({ status: 'lost', reason: 'stuck', message: '' });
    else { onUpdate(job); schedule(); }
  }

  schedule();
  return {
    /** Stop for good (a new search replaces this one, or the page goes away). */
    stop() {
      finished = true;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
    /** Resume polling if it was paused while inactive. */
    wake() {
      if (finished || !parked) return;
      parked = false;
      schedule();
    },
  };
}
