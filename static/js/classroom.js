// The class around a live session, on this page: who this student is, following the teacher
// (follow.js), the teacher's Class tab and audience badge, Try it yourself (a sandbox), the teacher
// showing a sandbox, and the end of class. app.js calls `bindClassroom` once the views exist and
// hands its socket handlers and hello greeting to the socket.

import { bindFollow } from './follow.js';
import { createFollowBanner } from './views/follow-banner.js';
import { createClassPanel } from './views/class-panel.js';
import { createAudienceBadge } from './views/audience-badge.js';
import { createShowing } from './views/showing.js';
import { createSpotlight } from './views/spotlight.js';
import { createQuestionCard } from './views/question-card.js';
import { createQuestionsPanel } from './views/questions-panel.js';
import { createNotesStrip } from './views/notes-strip.js';

const NAME_KEY = 'protolab.name';
const CLIENT_KEY = 'protolab.client';
const SANDBOX_KEY = (id) => `protolab.sandbox.${id}`;

/** Take a name given by the join form (?as=NAME) into localStorage; return {name, client}. */
export function whoAmI(loc = window.location, storage = window.localStorage, hist = window.history) {
  const params = new URLSearchParams(loc.search);
  if (params.has('as')) {
    storage.setItem(NAME_KEY, params.get('as').trim().slice(0, 40));
    params.delete('as');
    const rest = params.toString();
    hist.replaceState(hist.state, '', loc.pathname + (rest ? `?${rest}` : '') + loc.hash);
  }
  let client = storage.getItem(CLIENT_KEY);
  if (!client) {
    client = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
    storage.setItem(CLIENT_KEY, client);
  }
  return { name: storage.getItem(NAME_KEY) || '', client };
}

/**
 * Wire the class into a live page. `dom`: follow (strip), tools (toolbar), showing (overlay host),
 * question (the question card), notes (in the story row); `addTab(id, label)` returns a panel
 * element; `addView(view)` draws a view every frame; `send(frame)` reaches the socket.
 * Returns {greeting(), handlers: {welcome, status, view, audience, question, votes, answered, notes}}.
 */
export function bindClassroom(ctx, { root, dom, addTab, addView, send, joinUrl, qrUrl, fork }) {
  const { store, t } = ctx;
  const me = whoAmI();
  store.you = { name: me.name, animal: '' };
  store.question = null;
  store.votes = null;
  store.notes = [];
  ctx.send = send;
  ctx.answer = (id, choice) => {
    if (send({ type: 'answer', id, choice }) && store.question && store.question.id === id) {
      store.question = { ...store.question, mine: choice };
      store.emit('question', store.question);
    }
  };
  ctx.pulse = createSpotlight(root);
  const follow = bindFollow(ctx, send);
  ctx.spotlightItem = (item) => follow.spotlight(item);
  ctx.rejoin = () => follow.rejoin();
  ctx.endClass = () => send({ type: 'end' });
  ctx.showSandbox = (sandbox) => follow.show(sandbox ? sandbox.id : null);
  ctx.mySandbox = () => {
    try { return JSON.parse(window.localStorage.getItem(SANDBOX_KEY(store.sessionId)) || 'null'); } catch (err) { return null; }
  };
  ctx.keepSandbox = async (mine, button) => {
    const response = await fetch(`/api/sessions/${encodeURIComponent(mine.id)}/keep`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ control_token: mine.token }),
    });
    if (response.ok) { button.disabled = true; button.textContent = t('follow.kept'); } else ctx.toast(t('follow.keepFailed'));
  };
  ctx.tryIt = () => fork(store.playhead, {
    sandbox: true,
    owner: store.you.name || t('class.anonymous', { animal: t(`animal.${store.you.animal || 'otter'}`) }),
    remember: (child) => window.localStorage.setItem(SANDBOX_KEY(store.sessionId), JSON.stringify(child)),
  });

  createFollowBanner(dom.follow, ctx);
  createAudienceBadge(dom.tools, ctx);
  createShowing(dom.showing, ctx);
  createQuestionCard(dom.question, ctx);
  addView(createNotesStrip(dom.notes, ctx));
  let panel = null;
  const ensurePanel = () => {
    if (panel || !store.controller || !store.session) return;
    panel = createClassPanel(addTab('class', t('tabs.class')), ctx, { joinUrl, qrUrl });
    addView(createQuestionsPanel(addTab('questions', t('tabs.questions')), ctx));
  };
  const setQuestion = (q) => {
    const before = store.question;
    const mine = q && q.mine !== undefined ? q.mine : (before && q && before.id === q.id ? before.mine : null);
    store.question = q ? { ...q, mine } : null;
    store.emit('question', store.question);
  };
  const setNotes = (notes) => { store.notes = notes || []; store.emit('notes', store.notes); };

  return {
    greeting: () => ({ name: store.you.name, client: me.client, following: store.following }),
    handlers: {
      welcome(frame) {
        store.session = frame.session || {};
        store.you = { ...store.you, ...(frame.you || {}) };
        store.ended = store.session.ended_at || null;
        ensurePanel();
        follow.welcome(frame);
        setQuestion(frame.question || null);
        setNotes(frame.notes);
        store.emit('session', store.session);
        store.emit('class', {});
      },
      question(frame) { setQuestion(frame.question); },
      votes(frame) { store.votes = frame; store.emit('question', store.question); },
      answered(frame) { if (store.question && store.question.id === frame.id) setQuestion({ ...store.question, mine: frame.choice }); },
      notes(frame) { setNotes(frame.notes); },
      view(frame) { follow.view(frame); store.emit('class', {}); },
      audience(frame) { store.audience = frame; store.emit('class', frame); },
      status(frame) {
        if (!frame.ended) return;
        store.ended = frame.ended;
        store.emit('class', {});
        store.emit('session', store.session);
      },
    },
  };
}
