/// <reference lib="dom" />
/**
 * The playground page's script (bundled by bin/playground.js into one self-contained HTML file).
 * The browser edge: it reads the URL fragment, the clock (to pace play) and the keyboard, and
 * draws. Everything it shows comes from playground/session.ts over the real run.
 *
 * Pace: the run advances in short tasks (SLICE_MS of events each, posted through a MessageChannel,
 * so no animation frame waits on them and no frame is missed), towards the virtual time that
 * speed × real time since play asks for; when it cannot keep up it falls behind by at most
 * MAX_LAG_MS and drops the rest. Drawing happens on animation frames only, at most once each and at
 * most every MIN_DRAW_GAP_MS while playing, and touches only what changed — never per event.
 */
import { BUILTINS } from '../../scenarios/builtin/registry.js';
import { LESSONS, LessonRun, type Lesson } from '../lessons.js';
import { describe } from '../narrate.js';
import { describeAction, type Action, type Playground, type PlaygroundOptions, type PlaygroundView } from '../session.js';
import { openPlayground, type Source } from '../source.js';
import { ClusterPicture, drawClients, drawLogs, SPLIT_X } from '../../reports/picture/draw.js';
import type { Picture } from '../../reports/picture/model.js';

/** Real time one task of the run may take before it yields to drawing and input. */
const SLICE_MS = 20;
/** How far (in real time) the run may fall behind the speed asked for before the rest is dropped. */
const MAX_LAG_MS = 250;
/** While playing, the picture is drawn at most this often. */
const MIN_DRAW_GAP_MS = 40;
/** While playing, the logs, clients and story are redrawn every this many drawings (the picture every one). */
const DETAIL_EVERY = 3;
/** Messages in flight drawn at once (the newest). */
const MESSAGES_DRAWN = 40;

interface State {
  src: Source;
  seed: number;
  options: Partial<PlaygroundOptions>;
  p: Playground;
  lesson: LessonRun | null;
  playing: boolean;
  speed: number;
  selected: number[];
  /** Real time and virtual time when play (or the speed) last began: the pace is measured from them. */
  anchorT: number;
  anchorV: number;
  lastDraw: number;
  /** Something changed since the last drawing; `full`: draw the detail panels too. */
  dirty: boolean;
  full: boolean;
  drawn: number;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function parseFragment(): { src: Source; seed: number; options: Partial<PlaygroundOptions> } {
  const h = new URLSearchParams(location.hash.slice(1));
  const seed = Number(h.get('seed') ?? '1') || 1;
  const options: Partial<PlaygroundOptions> = {};
  if (h.has('file')) {
    try {
      const scenario = JSON.parse(decodeURIComponent(escape(atob(h.get('file') ?? ''))));
      return { src: { kind: 'file', name: 'playground.json', scenario }, seed, options };
    } catch {
      // fall through to the default
    }
  }
  const lesson = LESSONS.find((l) => l.id === h.get('lesson'));
  if (lesson !== undefined) return { src: { kind: 'lesson', id: lesson.id, scenario: lesson.scenario }, seed: lesson.seed, options };
  const b = h.get('builtin') ?? 'prevote-rejoin';
  return { src: { kind: 'builtin', name: BUILTINS.some((x) => x.name === b) ? b : 'prevote-rejoin' }, seed, options };
}

let st: State;

function start(src: Source, seed: number, options: Partial<PlaygroundOptions>, lesson: Lesson | null): void {
  let p: Playground;
  let run: LessonRun | null = null;
  if (lesson !== null) {
    run = new LessonRun(lesson, (scenario, s, o) => openPlayground({ kind: 'lesson', id: lesson.id, scenario }, s, { ...o }));
    p = run.p;
  } else p = openPlayground(src, seed, options);
  ($('source') as HTMLSelectElement).value = lesson !== null ? `lesson:${lesson.id}` : src.kind === 'builtin' ? `builtin:${src.name}` : '';
  st = { src, seed, options, p, lesson: run, playing: false, speed: st?.speed ?? 1, selected: [], anchorT: 0, anchorV: 0, lastDraw: 0, dirty: true, full: true, drawn: 0 };
  buildCluster();
  draw();
}

function act(a: Action): void {
  const f = st.p.act(a);
  $('status').textContent = f === null ? `Cannot ${describeAction(a)} now.` : `${describeAction(a)}: at t=${(f.at / 1000).toFixed(3)} s`;
  draw();
}

// ---------- drawing ----------
/** The cluster picture (reports/picture: the run report's step-through draws the same). */
let pic: ClusterPicture;
/** A member being dragged: where the pointer went down, and whether it moved (then it is no click). */
let drag: { id: number; x0: number; y0: number; moved: boolean } | null = null;
let suppressClick = false;
/** The last HTML written to each panel: unchanged panels are not written again. */
const written = new Map<string, string>();
function setHtml(id: string, html: string): void {
  if (written.get(id) === html) return;
  written.set(id, html);
  $(id).innerHTML = html;
}
function setText(id: string, text: string): void {
  if (written.get(id) === text) return;
  written.set(id, text);
  $(id).textContent = text;
}

function buildCluster(): void {
  pic = new ClusterPicture($('cluster') as unknown as SVGSVGElement, st.p.memberIds(), MESSAGES_DRAWN);
  written.clear();
  for (const [id, e] of pic.members) {
    e.g.addEventListener('click', (ev) => {
      if (suppressClick) {
        suppressClick = false;
        return;
      }
      select(id, (ev as MouseEvent).shiftKey || (ev as MouseEvent).ctrlKey || (ev as MouseEvent).metaKey);
    });
    e.g.addEventListener('pointerdown', (ev) => {
      const pt = svgPoint(ev);
      drag = { id, x0: pt.x, y0: pt.y, moved: false };
    });
  }
}

/** The session's view as the shared picture: messages placed by how long ago they were sent (the newest MESSAGES_DRAWN). */
function pictureOf(v: PlaygroundView): Picture {
  const shown = v.messages.length > MESSAGES_DRAWN ? v.messages.slice(-MESSAGES_DRAWN) : v.messages;
  return {
    members: v.members,
    messages: shown.map((m) => ({ id: m.id, from: m.from, to: m.to, type: m.type, term: m.term, index: m.index, progress: Math.min(0.9, Math.max(0.1, (v.nowUs - m.sentUs) / 2000)), lost: false })),
    clients: v.clients,
    cut: v.cutLinks.map(([from, to]) => ({ from, to })),
    slow: v.slowLinks,
  };
}

/** Where the pointer is, in the picture's coordinates. */
function svgPoint(ev: PointerEvent): { x: number; y: number } {
  const svg = $('cluster') as unknown as SVGSVGElement;
  const m = svg.getScreenCTM();
  if (m === null) return { x: ev.offsetX, y: ev.offsetY };
  const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
  return { x: p.x, y: p.y };
}

function dragMove(ev: PointerEvent): void {
  if (drag === null) return;
  const pt = svgPoint(ev);
  if (!drag.moved && Math.hypot(pt.x - drag.x0, pt.y - drag.y0) < 6) return;
  drag.moved = true;
  pic.divider.setAttribute('visibility', 'visible');
  pic.pos.set(drag.id, { x: Math.min(484, Math.max(36, pt.x)), y: Math.min(376, Math.max(36, pt.y)) });
  pic.layout();
}

/** A drop: the members left of the line against those right of it — a split, or a heal when one side is empty. */
function dragEnd(): void {
  const d = drag;
  drag = null;
  if (d === null || !d.moved) return;
  suppressClick = true;
  setTimeout(() => (suppressClick = false), 0);
  pic.divider.setAttribute('visibility', 'hidden');
  const ids = st.p.memberIds();
  const left = ids.filter((x) => (pic.pos.get(x)?.x ?? 0) < SPLIT_X);
  const right = ids.filter((x) => !left.includes(x));
  if (left.length > 0 && right.length > 0) act({ kind: 'split', groups: [left, right] });
  else if (st.p.view().cutLinks.length > 0) act({ kind: 'heal' });
  else draw(true);
}

function select(id: number, add: boolean): void {
  st.selected = add ? (st.selected.includes(id) ? st.selected.filter((x) => x !== id) : [...st.selected, id]) : [id];
  draw();
}

function draw(full = false): void {
  const v = st.p.view();
  st.drawn++;
  setText('time', `t=${(v.nowUs / 1e6).toFixed(3)} s · ${v.events.toLocaleString('en')} events · ${v.phase}`);
  const picture = pictureOf(v);
  pic.draw(picture, st.selected);
  if (st.playing && !full && st.drawn % DETAIL_EVERY !== 0) {
    ($('play') as HTMLButtonElement).textContent = 'pause (space)';
    return;
  }
  drawLogs($('logs'), picture.members);
  drawClients($('clients'), picture.clients);
  setHtml('checks', v.staleReads.length === 0 && v.violation === null ? '<span class="ok">no stale read so far</span>' : [...v.staleReads.map((s) => s.text), ...(v.violation ? [v.violation] : [])].map((t) => `<div class="bad">${escapeHtml(t)}</div>`).join(''));
  const story = st.p.narration.slice(-12).reverse();
  setHtml('narration', story.map((n) => `<li${n.interesting ? ' class="i"' : ''}><small>${(n.atUs / 1e6).toFixed(3)} s</small> ${escapeHtml(n.text)}</li>`).join(''));
  const last = st.p.last;
  setText('step-text', last === null ? '' : describe(last, st.p));
  setText('options', `PreVote ${v.options.preVote ? 'on' : 'off'} · CheckQuorum ${v.options.checkQuorum ? 'on' : 'off'} · reads ${v.options.readMode} · fsync ${v.options.fsync ? 'on' : 'off'}`);
  drawLesson();
  ($('play') as HTMLButtonElement).textContent = st.playing ? 'pause (space)' : 'play (space)';
}

function drawLesson(): void {
  const l = st.lesson;
  $('lesson').hidden = l === null;
  if (l === null) return;
  $('lesson-title').textContent = l.lesson.title;
  $('lesson-prompt').textContent = l.done ? l.lesson.closing : `Step ${l.step + 1} of ${l.lesson.steps.length}: ${l.prompt()}`;
  $('lesson-passed').innerHTML = l.passed.map((t) => `<li>✔ ${escapeHtml(t)}</li>`).join('');
  $('lesson').dataset.done = String(l.done);
  $('lesson').dataset.step = String(l.step);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

// ---------- play loop ----------
const pumpChannel = new MessageChannel();
let pumpQueued = false;

function queuePump(): void {
  if (pumpQueued) return;
  pumpQueued = true;
  pumpChannel.port2.postMessage(0);
}

/** Starts (or restarts) the pace from now: after play, a speed change, a fresh run. */
function anchor(): void {
  st.anchorT = performance.now();
  st.anchorV = st.p.nowUs;
}

function setPlaying(on: boolean): void {
  st.playing = on;
  if (on) {
    anchor();
    queuePump();
  }
  st.dirty = st.full = true;
}

/** One task of the run: towards the virtual time the pace asks for, for at most SLICE_MS. */
function pump(): void {
  pumpQueued = false;
  if (!st.playing) return;
  const now = performance.now();
  let target = st.anchorV + (now - st.anchorT) * 1000 * st.speed;
  const maxLag = MAX_LAG_MS * 1000 * st.speed;
  if (target - st.p.nowUs > maxLag) {
    st.anchorV -= target - st.p.nowUs - maxLag;
    target = st.p.nowUs + maxLag;
  }
  const deadline = now + SLICE_MS;
  while (st.p.nowUs < target && st.p.run.phase === 'safety' && performance.now() < deadline) st.p.advance(target, 300);
  if (st.lesson !== null) {
    const before = st.lesson.p;
    if (st.lesson.verify()) {
      // A checkpoint just passed: the lesson panel is drawn on the next frame, not a few later.
      st.full = true;
      if (st.lesson.p !== before) {
        st.p = st.lesson.p;
        buildCluster();
        anchor();
      }
    }
  }
  st.dirty = true;
  if (st.p.run.phase !== 'safety') {
    st.playing = false;
    st.full = true;
    return;
  }
  if (st.p.nowUs < target) queuePump();
  else setTimeout(queuePump, 4);
}
pumpChannel.port1.onmessage = pump;

function frame(t: number): void {
  if (st.dirty && (!st.playing || st.full || t - st.lastDraw >= MIN_DRAW_GAP_MS)) {
    st.lastDraw = t;
    const full = st.full;
    st.dirty = st.full = false;
    draw(full);
  }
  requestAnimationFrame(frame);
}

function stepOnce(): void {
  st.playing = false;
  st.p.step();
  st.lesson?.verify();
  draw();
}

function stepInteresting(): void {
  st.playing = false;
  st.p.stepToInteresting();
  st.lesson?.verify();
  draw();
}

function exportScenario(): string {
  const file = st.p.scenarioFile();
  const json = JSON.stringify(file, null, 2);
  ($('export-text') as HTMLTextAreaElement).value = json;
  const frag = `file=${btoa(unescape(encodeURIComponent(JSON.stringify(file))))}&seed=${st.p.source.seed}`;
  ($('export-link') as HTMLAnchorElement).href = `${location.href.split('#')[0]}#${frag}`;
  $('export-cmd').textContent = `npx raftsim run playground.json --seed ${st.p.source.seed}`;
  return json;
}

function selectedOne(): number | null {
  return st.selected[0] ?? null;
}

function wire(): void {
  const svg = $('cluster');
  svg.addEventListener('pointermove', (ev) => dragMove(ev as PointerEvent));
  svg.addEventListener('pointerup', dragEnd);
  svg.addEventListener('pointerleave', dragEnd);
  const sel = $('source') as HTMLSelectElement;
  sel.innerHTML = [...LESSONS.map((l) => `<option value="lesson:${l.id}">Lesson: ${escapeHtml(l.title)}</option>`), ...BUILTINS.map((b) => `<option value="builtin:${b.name}">${b.name}</option>`)].join('');
  sel.addEventListener('change', () => {
    const [kind, name] = sel.value.split(':') as [string, string];
    const lesson = LESSONS.find((l) => l.id === name) ?? null;
    if (kind === 'lesson' && lesson !== null) start({ kind: 'lesson', id: lesson.id, scenario: lesson.scenario }, lesson.seed, {}, lesson);
    else start({ kind: 'builtin', name }, Number(($('seed') as HTMLInputElement).value) || 1, currentOptions(), null);
  });
  $('play').addEventListener('click', () => setPlaying(!st.playing));
  $('step').addEventListener('click', stepOnce);
  $('next').addEventListener('click', stepInteresting);
  ($('speed') as HTMLSelectElement).addEventListener('change', (e) => {
    st.speed = Number((e.target as HTMLSelectElement).value);
    anchor();
  });
  const actions: [string, (id: number) => Action][] = [
    ['crash', (node) => ({ kind: 'crash', node })],
    ['crash-writing', (node) => ({ kind: 'crash-writing', node })],
    ['restart', (node) => ({ kind: 'restart', node })],
    ['pause', (node) => ({ kind: 'pause', node })],
    ['resume', (node) => ({ kind: 'resume', node })],
    ['isolate', (node) => ({ kind: 'isolate', node })],
    ['skew', (node) => ({ kind: 'skew', node, rate: 0.5 })],
    ['slow', (node) => ({ kind: 'slow', node, delayMs: 150, forMs: 5_000 })],
    ['fail-disk', (node) => ({ kind: 'fail-disk', node })],
  ];
  for (const [name, make] of actions) {
    $(`a-${name}`).addEventListener('click', () => {
      const id = selectedOne();
      if (id === null) $('status').textContent = 'Select a member first (click it).';
      else act(make(id));
    });
  }
  $('a-split').addEventListener('click', () => {
    const ids = st.p.memberIds();
    const a = st.selected.filter((x) => ids.includes(x));
    act({ kind: 'split', groups: [a, ids.filter((x) => !a.includes(x))] });
  });
  $('a-heal').addEventListener('click', () => act({ kind: 'heal' }));
  $('doit').addEventListener('click', () => {
    st.lesson?.doIt();
    draw();
  });
  $('export').addEventListener('click', exportScenario);
  $('apply-options').addEventListener('click', () => {
    if (st.lesson === null) start(st.src, st.seed, currentOptions(), null);
  });
  document.addEventListener('keydown', (e) => {
    if ((e.target as HTMLElement).tagName === 'TEXTAREA' || (e.target as HTMLElement).tagName === 'INPUT') return;
    const id = selectedOne();
    const key = e.key;
    const byKey: Record<string, () => void> = {
      ' ': () => setPlaying(!st.playing),
      '.': stepOnce,
      n: stepInteresting,
      h: () => act({ kind: 'heal' }),
      s: () => $('a-split').click(),
      e: () => { exportScenario(); },
      '+': () => { st.speed = Math.min(1000, st.speed * 2); anchor(); },
      '-': () => { st.speed = Math.max(0.125, st.speed / 2); anchor(); },
    };
    if (/^[1-9]$/.test(key)) select(Number(key), e.shiftKey);
    else if (byKey[key] !== undefined) byKey[key]();
    else if (id !== null && { c: 1, w: 1, r: 1, p: 1, u: 1, i: 1, k: 1, d: 1, l: 1 }[key] !== undefined) {
      const k = { c: 'crash', w: 'crash-writing', r: 'restart', p: 'pause', u: 'resume', i: 'isolate', k: 'skew', d: 'fail-disk', l: 'slow' }[key as 'c'];
      $(`a-${k}`).click();
    } else return;
    e.preventDefault();
  });
}

function currentOptions(): Partial<PlaygroundOptions> {
  return {
    preVote: ($('o-prevote') as HTMLInputElement).checked,
    checkQuorum: ($('o-checkquorum') as HTMLInputElement).checked,
    readMode: ($('o-readmode') as HTMLSelectElement).value as PlaygroundOptions['readMode'],
    fsync: ($('o-fsync') as HTMLInputElement).checked,
  };
}

/** Test and bench hooks: the page's session, reachable from a browser test without eval. */
declare global {
  interface Window {
    playground: { state: () => State; exportScenario: () => string; start: typeof start; lessons: typeof LESSONS; draws: () => number };
  }
}

wire();
const first = parseFragment();
const lesson = first.src.kind === 'lesson' ? (LESSONS.find((l) => first.src.kind === 'lesson' && l.id === first.src.id) ?? null) : null;
start(first.src, first.seed, first.options, lesson);
window.playground = { state: () => st, exportScenario, start, lessons: LESSONS, draws: () => st.drawn };
requestAnimationFrame(frame);
