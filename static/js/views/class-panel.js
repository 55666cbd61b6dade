// The Class tab (the teacher's page only): how students join (code, link, QR code drawn by the
// server), who is watching (following or exploring on their own), the sandboxes students made
// (Show this run puts one on the projector), and End class. Everything shown arrives from the
// server in `audience` frames; this panel draws it.

import { h, fill } from '../dom.js';

export function createClassPanel(el, ctx, { joinUrl, qrUrl }) {
  const { store, t } = ctx;
  const code = (store.session && store.session.join_code) || '';
  const codeBox = h('div', { class: 'join-code', dataset: { code } }, code);
  const link = h('a', { class: 'join-link', href: joinUrl, target: '_blank', rel: 'noopener' }, joinUrl);
  const qr = h('img', { class: 'join-qr', src: qrUrl, alt: t('class.qrAlt', { url: joinUrl }), width: 180, height: 180 });
  const big = h('button', { type: 'button', class: 'ctl', dataset: { action: 'show-code' }, onclick: () => showCode() }, `▣ ${t('class.showCode')}`);
  const counts = h('p', { class: 'audience-counts', 'aria-live': 'polite' });
  const members = h('ul', { class: 'audience-members' });
  const boxes = h('table', { class: 'sandboxes' });
  const end = h('button', { type: 'button', class: 'ctl end-class', dataset: { action: 'end-class' }, onclick: () => {
    if (window.confirm(t('class.endConfirm'))) ctx.endClass();
  } }, `■ ${t('class.end')}`);
  el.append(
    h('section', { class: 'class-join' }, h('h3', {}, t('class.join')), codeBox, h('p', {}, t('class.joinHow')), link, qr, big),
    h('section', { class: 'class-audience' }, h('h3', {}, t('class.audience')), counts, members),
    h('section', { class: 'class-sandboxes' }, h('h3', {}, t('class.sandboxes')), boxes),
    h('section', { class: 'class-end' }, end));

  function showCode() {
    const overlay = h('div', { class: 'code-overlay', role: 'dialog', 'aria-label': t('class.join'), dataset: { action: 'close-code' },
      onclick: () => overlay.remove() },
    h('div', { class: 'code-overlay-box' }, h('p', {}, t('class.joinHow')), h('div', { class: 'join-code huge' }, code),
      h('img', { src: qrUrl, alt: t('class.qrAlt', { url: joinUrl }), width: 360, height: 360 }), h('p', { class: 'join-link' }, joinUrl),
      h('button', { type: 'button', class: 'ctl' }, t('follow.close'))));
    document.body.append(overlay);
  }

  function name(m) {
    return m.name || t('class.anonymous', { animal: t(`animal.${m.animal}`) });
  }

  function render() {
    const a = store.audience || { connected: 0, following: 0, detached: 0, members: [], sandboxes: [] };
    fill(counts, t('class.counts', { connected: a.connected, following: a.following, detached: a.detached }));
    fill(members, a.members.map((m) => h('li', { class: m.following ? 'following' : 'detached' },
      m.following ? '● ' : '↗ ', name(m))));
    const rows = a.sandboxes || [];
    fill(boxes, rows.length ? [
      h('thead', {}, h('tr', {}, [t('class.student'), t('class.forkedAt'), t('class.now'), t('class.broken'), ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows.map((s) => h('tr', { dataset: { sandbox: s.id } },
        h('td', {}, s.owner || '—'), h('td', {}, `${t('common.seq')} ${s.fork_seq ?? 0}`),
        h('td', {}, s.seq === null || s.seq === undefined ? '—' : `${t('common.seq')} ${s.seq}`),
        h('td', { class: s.violations.length ? 'violated' : 'holds' }, s.violations.length ? `✗ ${s.violations.join(', ')}` : `✓ ${t('class.none')}`),
        h('td', {}, h('button', { type: 'button', class: 'ctl', dataset: { action: 'show-sandbox', sandbox: s.id },
          onclick: () => ctx.showSandbox(s) }, `▣ ${t('class.show')}`))))),
    ] : h('tbody', {}, h('tr', {}, h('td', { class: 'empty' }, t('class.noSandboxes')))));
    end.disabled = Boolean(store.ended);
    if (store.ended) end.textContent = `■ ${t('follow.ended')}`;
  }

  store.on('class', render);
  render();
  return { render };
}
