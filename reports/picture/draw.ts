/// <reference lib="dom" />
/**
 * Draws a `Picture` (model.ts): the members on a circle (role by colour, term, vote, election
 * timer, paused and crashed members), the links between them (cut: vermillion dashes; slowed:
 * dotted reddish purple, thicker the slower, with the delay), the messages in flight as dots
 * coloured by term (type, term and index on hover), each member's log (entries coloured by term,
 * faded until committed, underlined once applied, the snapshot boundary), and the clients with
 * their requests. The playground draws it live (playground/page/main.ts); the run report's
 * step-through draws it per frame (reports/picture/report-entry.ts, bundled into the page).
 *
 * It writes only through createElement, setAttribute and textContent — never markup — so no string
 * from a run is parsed as HTML. The cluster is built once and then only changed attributes are
 * touched (no DOM node per message per frame): the playground draws it many times a second.
 */
import type { Picture, PictureClient, PictureMember } from './model.js';

/** Okabe–Ito colours (colour-blind safe): roles, and terms cycling through eight. */
export const ROLE_COLOR: Readonly<Record<string, string>> = { leader: '#E69F00', candidate: '#D55E00', 'pre-candidate': '#F0B27A', follower: '#56B4E9', down: '#999999', stopped: '#999999', unknown: '#dddddd' };
const TERM_COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#F0E442', '#000000'];
export const termColor = (t: number): string => TERM_COLORS[((t % TERM_COLORS.length) + TERM_COLORS.length) % TERM_COLORS.length] as string;
export const CUT_COLOR = '#D55E00';
export const SLOW_COLOR = '#CC79A7';
export const LINK_COLOR = '#bbb';

/** The picture's size, in its own units (the SVG's viewBox). */
export const WIDTH = 520;
export const HEIGHT = 420;
/** The vertical line members are dragged across to split the cluster (the playground). */
export const SPLIT_X = 260;
const RADIUS = 150;

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function set(e: Element, name: string, value: string): void {
  if (e.getAttribute(name) !== value) e.setAttribute(name, value);
}

export interface MemberEls {
  readonly g: SVGGElement;
  readonly circle: SVGCircleElement;
  readonly label: SVGTextElement;
  readonly sub: SVGTextElement;
  readonly timer: SVGRectElement;
  readonly tip: SVGTitleElement;
}

interface LinkEls {
  readonly line: SVGLineElement;
  readonly label: SVGTextElement;
  readonly tip: SVGTitleElement;
  readonly a: number;
  readonly b: number;
}

/** The cluster drawing in one SVG element: built for a set of members, then updated per picture. */
export class ClusterPicture {
  /** Where each member is drawn (the playground moves them while dragging: then call `layout`). */
  readonly pos = new Map<number, { x: number; y: number }>();
  readonly members = new Map<number, MemberEls>();
  /** The line a member is dragged across to split the cluster (hidden until the playground shows it). */
  readonly divider: SVGLineElement;
  private readonly links = new Map<string, LinkEls>();
  private readonly dots: { c: SVGCircleElement; title: SVGTitleElement; key: string }[] = [];

  /** `maxMessages`: dots drawn at once (the caller passes the newest). */
  constructor(readonly svg: SVGSVGElement, ids: readonly number[], readonly maxMessages = 40) {
    svg.replaceChildren();
    ids.forEach((id, i) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / ids.length;
      this.pos.set(id, { x: WIDTH / 2 + (ids.length === 1 ? 0 : RADIUS * Math.cos(a)), y: 200 + (ids.length === 1 ? 0 : RADIUS * Math.sin(a)) });
    });
    const linkLayer = el('g', { class: 'links' }, svg);
    this.divider = el('line', { x1: SPLIT_X, y1: 8, x2: SPLIT_X, y2: HEIGHT - 8, stroke: '#000', 'stroke-width': 1, 'stroke-dasharray': '3 5', visibility: 'hidden' }, svg);
    for (const a of ids) for (const b of ids) if (a < b) {
      const line = el('line', { class: 'link', stroke: LINK_COLOR, 'stroke-width': 2, 'data-link': `${a}-${b}` }, linkLayer);
      const tip = el('title', {}, line);
      const label = el('text', { 'text-anchor': 'middle', 'font-size': 11, fill: '#6a2c5a', visibility: 'hidden', 'data-delay': `${a}-${b}` }, linkLayer);
      this.links.set(`${a}-${b}`, { line, label, tip, a, b });
    }
    const msgLayer = el('g', { class: 'messages' }, svg);
    for (let k = 0; k < maxMessages; k++) {
      const c = el('circle', { class: 'msg', cx: 0, cy: 0, r: 5, visibility: 'hidden', stroke: '#fff', 'stroke-width': 1 }, msgLayer);
      this.dots.push({ c, title: el('title', {}, c), key: '' });
    }
    const nodeLayer = el('g', { class: 'nodes' }, svg);
    for (const id of ids) {
      const g = el('g', { class: 'member node', tabindex: 0, role: 'button', 'aria-label': `member n${id}`, 'data-id': id, 'data-node': id }, nodeLayer);
      const tip = el('title', {}, g);
      const circle = el('circle', { r: 34, fill: '#ccc', stroke: '#333', 'stroke-width': 2 }, g);
      const label = el('text', { 'text-anchor': 'middle', y: -4, 'font-size': 15, 'font-weight': 'bold' }, g);
      const sub = el('text', { class: 'node-term', 'text-anchor': 'middle', y: 14, 'font-size': 11 }, g);
      el('rect', { x: -30, y: 40, width: 60, height: 6, fill: '#eee', stroke: '#999' }, g);
      const timer = el('rect', { class: 'timer', x: -30, y: 40, width: 0, height: 6, fill: '#333' }, g);
      this.members.set(id, { g, circle, label, sub, timer, tip });
    }
    this.layout();
  }

  /** Places members and links where `pos` says. */
  layout(): void {
    for (const [id, e] of this.members) {
      const p = this.pos.get(id);
      if (p !== undefined) set(e.g, 'transform', `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`);
    }
    for (const l of this.links.values()) {
      const pa = this.pos.get(l.a);
      const pb = this.pos.get(l.b);
      if (pa === undefined || pb === undefined) continue;
      set(l.line, 'x1', pa.x.toFixed(1));
      set(l.line, 'y1', pa.y.toFixed(1));
      set(l.line, 'x2', pb.x.toFixed(1));
      set(l.line, 'y2', pb.y.toFixed(1));
      set(l.label, 'x', ((pa.x + pb.x) / 2).toFixed(1));
      set(l.label, 'y', ((pa.y + pb.y) / 2 - 3).toFixed(1));
    }
  }

  /** Draws `p`; `selected`: members outlined as chosen (the playground). */
  draw(p: Picture, selected: readonly number[] = []): void {
    this.drawLinks(p);
    for (const m of p.members) this.drawMember(m, selected.includes(m.id));
    this.drawMessages(p);
  }

  private drawLinks(p: Picture): void {
    const cut = new Map<string, string[]>();
    for (const l of p.cut) {
      const k = `${Math.min(l.from, l.to)}-${Math.max(l.from, l.to)}`;
      cut.set(k, [...(cut.get(k) ?? []), `n${l.from} → n${l.to}`]);
    }
    const slow = new Map<string, number>();
    for (const l of p.slow) {
      const k = `${Math.min(l.from, l.to)}-${Math.max(l.from, l.to)}`;
      slow.set(k, Math.max(slow.get(k) ?? 0, l.delayMs));
    }
    for (const [k, l] of this.links) {
      const dirs = cut.get(k) ?? [];
      const isCut = dirs.length > 0;
      const delay = slow.get(k);
      const look = `${dirs.join(',')}|${delay ?? ''}`;
      if (l.line.dataset.look === look) continue;
      l.line.dataset.look = look;
      // Cut: vermillion, long dashes (short dashes when only one direction is cut). Slowed: reddish purple, dotted, thicker the slower.
      set(l.line, 'class', isCut ? 'link cut' : delay !== undefined ? 'link slow' : 'link');
      set(l.line, 'data-cut', String(dirs.length));
      set(l.line, 'stroke', isCut ? CUT_COLOR : delay !== undefined ? SLOW_COLOR : LINK_COLOR);
      set(l.line, 'stroke-dasharray', isCut ? (dirs.length === 1 ? '3 5' : '8 6') : delay !== undefined ? '2 4' : '');
      set(l.line, 'stroke-width', delay !== undefined && !isCut ? String(Math.min(7, 2 + Math.log2(1 + delay / 10))) : '2');
      set(l.line, 'stroke-linecap', delay !== undefined && !isCut ? 'round' : 'butt');
      set(l.label, 'visibility', delay !== undefined ? 'visible' : 'hidden');
      l.label.textContent = delay === undefined ? '' : `${delay >= 10 ? delay.toFixed(0) : delay.toFixed(1)} ms${isCut ? ' (cut)' : ''}`;
      l.tip.textContent = `n${l.a} – n${l.b}: ${isCut ? `cut (${dirs.join(', ')})` : 'connected'}${delay === undefined ? '' : `, ${l.label.textContent} of delay`}`;
    }
  }

  private drawMember(m: PictureMember, selected: boolean): void {
    const e = this.members.get(m.id);
    if (e === undefined) return;
    const role = m.state === 'down' || m.state === 'stopped' ? m.state : m.role;
    set(e.g, 'data-role', m.role);
    set(e.g, 'data-term', String(m.term));
    set(e.g, 'data-host', m.state === 'stopped' ? 'up' : m.state);
    set(e.circle, 'fill', ROLE_COLOR[role] ?? '#ccc');
    set(e.circle, 'stroke', selected ? '#000' : m.state === 'paused' ? SLOW_COLOR : '#333');
    set(e.circle, 'stroke-width', selected || m.state === 'paused' ? '5' : '2');
    set(e.circle, 'stroke-dasharray', m.state === 'paused' ? '4 3' : '');
    e.label.textContent = `n${m.id} ${m.state === 'up' ? m.role : m.state === 'paused' ? `paused ${m.role}` : m.state}`;
    e.sub.textContent = `term ${m.term}${m.vote ? ` · vote n${m.vote}` : ''}${m.clockRate !== 1 ? ` · clock ${m.clockRate}×` : ''}${m.diskFault ? ' · disk!' : ''}`;
    set(e.timer, 'width', String(m.electionTimeout > 0 ? Math.min(60, (60 * m.electionElapsed) / m.electionTimeout) : 0));
    e.tip.textContent = `n${m.id}: ${m.state === 'up' ? m.role : m.state}, term ${m.term}${m.vote ? `, voted n${m.vote}` : ''}${m.lead ? `, leader n${m.lead}` : ''}, commit ${m.commit}, applied ${m.applied}${m.electionTimeout > 0 ? `, election timer ${m.electionElapsed}/${m.electionTimeout} ticks` : ''}`;
  }

  private drawMessages(p: Picture): void {
    const shown = p.messages.length > this.dots.length ? p.messages.slice(-this.dots.length) : p.messages;
    for (let k = 0; k < this.dots.length; k++) {
      const dot = this.dots[k] as (typeof this.dots)[number];
      const msg = shown[k];
      const a = msg === undefined ? undefined : this.pos.get(msg.from);
      const b = msg === undefined ? undefined : this.pos.get(msg.to);
      if (msg === undefined || a === undefined || b === undefined) {
        if (dot.key !== '') {
          dot.c.setAttribute('visibility', 'hidden');
          dot.key = '';
        }
        continue;
      }
      // A lost message stops halfway: it never reaches the other side.
      const f = msg.lost ? Math.min(0.5, msg.progress) : msg.progress;
      dot.c.setAttribute('cx', (a.x + (b.x - a.x) * f).toFixed(1));
      dot.c.setAttribute('cy', (a.y + (b.y - a.y) * f).toFixed(1));
      if (dot.key !== msg.id) {
        if (dot.key === '') dot.c.setAttribute('visibility', 'visible');
        dot.key = msg.id;
        dot.c.setAttribute('fill', msg.lost ? '#fff' : msg.term === null ? '#555' : termColor(msg.term));
        dot.c.setAttribute('stroke', msg.lost ? CUT_COLOR : '#fff');
        dot.c.setAttribute('class', msg.lost ? 'msg lost' : 'msg');
        dot.title.textContent = `${msg.type} n${msg.from}→n${msg.to}${msg.term === null ? '' : ` term ${msg.term}`}${msg.index === null ? '' : ` index ${msg.index}`}${msg.lost ? ', never arrives' : ''}`;
      }
    }
  }
}

function html<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls !== '') e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const drawnKey = new WeakMap<Element, string>();

/** Each member's log as a row of entries (in `box`); rows whose content did not change are not touched. */
export function drawLogs(box: HTMLElement, members: readonly PictureMember[]): void {
  const key = JSON.stringify(members.map((m) => [m.id, m.commit, m.applied, m.firstIndex, m.lastIndex, m.snapshotIndex, m.log === null ? null : m.log.map((x) => x.term)]));
  if (drawnKey.get(box) === key) return;
  drawnKey.set(box, key);
  box.replaceChildren(
    ...members.map((m) => {
      const row = html('div', 'log');
      row.dataset.member = String(m.id);
      row.append(html('b', '', `n${m.id}`), ' ', html('small', '', m.log === null ? `commit ${m.commit} · applied ${m.applied} (log not known)` : `snap ≤${m.snapshotIndex} · first ${m.firstIndex} · commit ${m.commit} · applied ${m.applied} · last ${m.lastIndex}`), html('br', ''));
      if (m.log === null) return row;
      if (m.firstIndex > 1 || m.snapshotIndex > 0) {
        const s = html('span', 'snap', '▌');
        s.title = `snapshot boundary: entries up to ${m.snapshotIndex} are in the snapshot`;
        row.append(s);
      }
      const shownFrom = m.log[0]?.index ?? m.lastIndex + 1;
      if (shownFrom > Math.max(1, m.firstIndex)) {
        const more = html('span', 'more', '… ');
        more.title = `entries ${Math.max(1, m.firstIndex)}–${shownFrom - 1} not drawn`;
        row.append(more);
      }
      for (const x of m.log) {
        const c = html('span', `e${x.index <= m.commit ? ' c' : ''}${x.index <= m.applied ? ' a' : ''}`, String(x.term));
        c.style.background = termColor(x.term);
        c.title = `index ${x.index}, term ${x.term}${x.index <= m.commit ? ', committed' : ''}${x.index <= m.applied ? ', applied' : ''}`;
        c.dataset.index = String(x.index);
        row.append(c);
      }
      return row;
    }),
  );
}

/** The clients, one line each: whom it talks to, the call in progress, its last answer. */
export function drawClients(list: HTMLElement, clients: readonly PictureClient[] | null): void {
  const key = JSON.stringify(clients);
  if (drawnKey.get(list) === key) return;
  drawnKey.set(list, key);
  if (clients === null) {
    list.replaceChildren(html('li', 'muted', 'clients not known at this instant'));
    return;
  }
  list.replaceChildren(
    ...clients.map((c) => {
      const li = html('li', 'client', `c${c.client} → ${c.member ? `n${c.member}` : '—'}: ${c.pending ?? 'idle'}${c.last ? ` · last: ${c.last}` : ''}`);
      li.dataset.client = String(c.client);
      return li;
    }),
  );
}
