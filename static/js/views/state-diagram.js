// State diagrams, one per role, drawn from the catalogue's transition table (the single source of
// truth: nothing here is written by hand). Each phase box lists the nodes in it at the playhead;
// the transitions taken in the current step are highlighted. Self-transitions are summed up as a
// loop count on the box, deliberate ignores dashed; hovering an edge explains it in the details box.

import { stateDiagramLayout } from '../layout.js';
import { h } from '../dom.js';
import { inkFor } from '../protocols/palette.js';

const d3 = globalThis.d3;

export function createStateDiagram(el, ctx) {
  const { store, encoding, catalogue, t } = ctx;
  const rows = (catalogue && catalogue.transitions) || [];
  const roles = [...new Set(rows.map((r) => r.role))];
  if (!roles.length) el.append(h('p', { class: 'empty' }, t('states.none')));
  const diagrams = roles.map((role) => draw(role));
  let shown = -1;

  function draw(role) {
    const d = stateDiagramLayout(rows, role, encoding.phaseOrder(role), { boxW: 132, boxH: 54, gapX: 150, gapY: 44 });
    const box = h('figure', { class: 'state-diagram', dataset: { role } },
      h('figcaption', {}, encoding.role(role).label));
    el.append(box);
    const anyH = d.any.length ? 40 : 0;
    const svg = d3.select(box).append('svg').attr('viewBox', `0 0 ${d.width} ${d.height + anyH + 30}`)
      .attr('width', d.width).attr('height', d.height + anyH + 30)
      .attr('role', 'img').attr('aria-label', `${t('states.title')}: ${encoding.role(role).label}`);
    const defs = svg.append('defs');
    defs.append('marker').attr('id', `sd-ah-${role}`).attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5)
      .attr('markerWidth', 12).attr('markerHeight', 12).attr('markerUnits', 'userSpaceOnUse').attr('orient', 'auto')
      .append('path').attr('d', 'M0,0 L10,5 L0,10 z').attr('fill', '#222');
    const at = Object.fromEntries(d.phases.map((p) => [p.phase, p]));
    const edgeSel = svg.append('g').selectAll('g.sd-edge').data(d.edges, (e) => `${e.from}>${e.to}`).join('g')
      .attr('class', (e) => `sd-edge${e.inputs.every((i) => i.ignore) ? ' ignore' : ''}`)
      .on('mouseenter', (ev, e) => store.setHover({ kind: 'transition', row: `${role}:${e.from}>${e.to}`, role, edge: e }))
      .on('mouseleave', () => store.setHover(null));
    edgeSel.append('path').attr('d', (e) => edgePath(at[e.from], at[e.to], d, e))
      .attr('marker-end', `url(#sd-ah-${role})`);
    edgeSel.append('text').attr('class', 'sd-label').each(function label(e) {
      const a = at[e.from];
      const b = at[e.to];
      // Horizontal edges: above the middle. Diagonal ones: in the open space past the source box.
      const diagonal = a.y !== b.y && a.x !== b.x;
      const k = diagonal ? 0.5 : 0.5;
      const x0 = a.x + (b.x > a.x ? d.boxW / 2 : 0);
      const x1 = b.x - (b.x > a.x ? d.boxW / 2 : 0);
      const x = x0 + (x1 - x0) * k;
      const y = e.skip && a.y === b.y ? a.y - d.boxH * 1.25 : a.y + (b.y - a.y) * k - 8;
      const text = d3.select(this).attr('x', x).attr('y', y).attr('text-anchor', diagonal ? 'end' : 'middle');
      // One input per edge (the first), "+n" for the rest: hovering the edge lists them all.
      text.text(`${inputLabel(e.inputs[0].on)}${e.inputs.length > 1 ? ` +${e.inputs.length - 1}` : ''}`);
    });
    const anyY = d.height + 14;
    if (d.any.length) {
      const g = svg.append('g').attr('class', 'sd-any');
      g.append('text').attr('x', 20).attr('y', anyY + 14).text(`⟲ ${inputLabel(d.any[0].on)} → ${d.any.map((a) => encoding.phase(a.to).label).join(' | ')}`);
    }
    const boxes = svg.append('g').selectAll('g.sd-phase').data(d.phases, (p) => p.phase).join('g')
      .attr('class', 'sd-phase').attr('data-phase', (p) => p.phase)
      .attr('transform', (p) => `translate(${p.x},${p.y})`);
    boxes.append('rect').attr('x', -d.boxW / 2).attr('y', -d.boxH / 2).attr('width', d.boxW).attr('height', d.boxH)
      .attr('rx', 10).attr('fill', (p) => encoding.phase(p.phase).colour);
    boxes.append('text').attr('class', 'sd-name').attr('y', -8).attr('dy', '0.35em')
      .attr('fill', (p) => inkFor(encoding.phase(p.phase).colour)).text((p) => encoding.phase(p.phase).label);
    boxes.append('text').attr('class', 'sd-loops').attr('x', d.boxW / 2 - 4).attr('y', -d.boxH / 2 - 6)
      .attr('text-anchor', 'end').text((p) => (d.loops[p.phase] ? `↻ ${d.loops[p.phase].length}` : ''))
      .on('mouseenter', (ev, p) => store.setHover({ kind: 'transition', row: `${role}:${p.phase}`, role, loops: d.loops[p.phase], phase: p.phase }))
      .on('mouseleave', () => store.setHover(null));
    boxes.append('text').attr('class', 'sd-who').attr('y', 14).attr('dy', '0.35em')
      .attr('fill', (p) => inkFor(encoding.phase(p.phase).colour));
    return { role, boxes, edgeSel };
  }

  function update(frame) {
    if (frame.seq === shown) return;
    shown = frame.seq;
    const snapshot = frame.snapshot;
    const causes = currentCauses(frame.timeline, snapshot);
    for (const { role, boxes, edgeSel } of diagrams) {
      const nodes = snapshot.nodes.filter((n) => n.role === role);
      boxes.classed('current', (p) => nodes.some((n) => n.up && n.phase === p.phase));
      boxes.select('text.sd-who').text((p) => nodes.filter((n) => n.phase === p.phase)
        .map((n) => (n.up ? n.name : `${n.name}✕`)).join(' '));
      edgeSel.classed('taken', (e) => causes.some((c) => c.role === role && c.from === e.from && c.to === e.to
        && e.inputs.some((i) => i.on === c.on)));
    }
  }

  /** Return the transitions taken by the state events of the playhead's step: {role, from, to, on}. */
  function currentCauses(timeline, snapshot) {
    const out = [];
    if (!snapshot.event) return out;
    const step = snapshot.event.step;
    for (let s = snapshot.seq; s >= 1; s -= 1) {
      const e = timeline.event(s);
      if (e.step !== step) break;
      if (e.kind !== 'state') continue;
      const spans = timeline.phasesOf(e.node);
      const i = spans.findIndex((sp) => sp.startSeq === e.seq);
      if (i > 0) out.push({ role: timeline.roles[e.node], from: spans[i - 1].phase, to: spans[i].phase, on: e.cause });
    }
    return out;
  }

  return { update };
}

/** Return "vote" for msg:vote, "◷ vote_timeout" for a timer, the input itself otherwise. */
export function inputLabel(on) {
  if (on.startsWith('msg:')) return on.slice(4);
  if (on.startsWith('timer:')) return `◷ ${on.slice(6)}`;
  if (on.startsWith('client:')) return `✉ ${on.slice(7)}`;
  return on;
}

function edgePath(a, b, d, e) {
  if (e && e.skip && a.y === b.y) {
    const lift = d.boxH * 1.5;
    return `M${a.x},${a.y - d.boxH / 2} C${a.x},${a.y - lift} ${b.x},${b.y - lift} ${b.x},${b.y - d.boxH / 2}`;
  }
  const ax = a.x + (b.x > a.x ? d.boxW / 2 : b.x < a.x ? -d.boxW / 2 : 0);
  const ay = a.y + (b.x === a.x ? (b.y > a.y ? d.boxH / 2 : -d.boxH / 2) : 0);
  const bx = b.x - (b.x > a.x ? d.boxW / 2 : b.x < a.x ? -d.boxW / 2 : 0);
  const by = b.y - (b.x === a.x ? (b.y > a.y ? d.boxH / 2 : -d.boxH / 2) : 0);
  const bend = a.y === b.y ? 0 : 0.25;
  const cx = (ax + bx) / 2 - (by - ay) * bend * 0.2;
  const cy = (ay + by) / 2 + (bx - ax) * bend * 0.2;
  return `M${ax},${ay} Q${cx},${cy} ${bx},${by}`;
}

