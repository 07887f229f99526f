/**
 * The run report's one inline script (plain ES2017, no modules, no network): the step-through view
 * and the zoomed timeline around its instant. It reads `RunPageData` (run-page-data.ts) from the
 * `#raftsim-data` element and writes to the page only through textContent and setAttribute — never
 * innerHTML — so no string from a record is ever parsed as markup.
 *
 * Kept as a string here (not compiled from TypeScript) so that its bytes, and therefore the CSP
 * hash the page allows, do not depend on a transpiler. Its logic is deliberately dumb: the frames
 * were computed and tested in step-through.ts; the script only draws them.
 */
export const RUN_PAGE_SCRIPT = String.raw`(function () {
'use strict';
var dataEl = document.getElementById('raftsim-data');
if (!dataEl) return;
var D = JSON.parse(dataEl.textContent);
var NS = 'http://www.w3.org/2000/svg';
var slider = document.getElementById('step-slider');
var cluster = document.getElementById('cluster');
var detail = document.getElementById('detail');
var spanSel = document.getElementById('detail-span');
var current = 0;
// Per lane, the indexes of its unknown ops (their tails cross every later window).
D.lanes.forEach(function (lane) {
  lane.unknown = [];
  for (var i = 0; i < lane.ops.length && lane.unknown.length < 1000; i++) if (lane.ops[i][3] === 2) lane.unknown.push(i);
});
var playing = null;

function fmt(us) {
  var a = Math.abs(us), s = us < 0 ? '-' : '';
  if (a >= 1e6) return s + trim((a / 1e6).toFixed(3)) + ' s';
  if (a >= 1e3) return s + trim((a / 1e3).toFixed(1)) + ' ms';
  return s + Math.round(a) + ' µs';
}
function trim(x) { return x.indexOf('.') >= 0 ? x.replace(/\.?0+$/, '') : x; }
function mk(name, attrs, text) {
  var e = document.createElementNS(NS, name);
  for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function titled(e, title) { e.appendChild(mk('title', {}, title)); return e; }
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
function r1(x) { return Math.round(x * 10) / 10; }

// ---- the cluster drawing: the playground's picture (reports/picture, inlined before this script) ----
var drawPicture = window.raftsimStepPicture(cluster, document.getElementById('step-logs'), document.getElementById('step-clients'), D);
function drawCluster(f) { drawPicture(f); }

function drawCaption(f) {
  document.getElementById('step-time').textContent = fmt(f.t);
  document.getElementById('step-index').textContent = 'frame ' + (current + 1) + ' of ' + D.frames.length;
  var list = document.getElementById('step-events');
  clear(list);
  if (f.et > f.e.length) list.appendChild(mkLi('… ' + (f.et - f.e.length) + ' earlier events since the previous frame'));
  f.e.forEach(function (e) { list.appendChild(mkLi(e)); });
  if (f.et === 0) list.appendChild(mkLi('(nothing changed since the previous frame)'));
  var leaders = [];
  f.n.forEach(function (n, i) { if (D.roles[n[0]] === 'leader' && D.hosts[n[5]] !== 'down') leaders.push('n' + D.members[i] + ' (term ' + n[1] + ')'); });
  var inflight = f.mt + ' message' + (f.mt === 1 ? '' : 's') + ' in flight' + (f.mt > f.m.length ? ' (drawing the ' + f.m.length + ' most recent)' : '');
  var cuts = f.c.length === 0 ? 'no link cut' : f.c.length + ' directed link' + (f.c.length === 1 ? '' : 's') + ' cut';
  document.getElementById('step-summary').textContent = (leaders.length ? 'leader: ' + leaders.join(', ') : 'no leader') + ' · ' + cuts + ' · ' + inflight + (f.d.length ? ' · dropped since the previous frame: ' + f.d.map(function (d) { return 'n' + d[0] + ' → n' + d[1] + ' (' + d[2] + ')'; }).join(', ') : '');
}
function mkLi(text) { var li = document.createElement('li'); li.textContent = text; return li; }

// ---- cursors on the server-drawn charts, and click to seek ----
var seekables = Array.prototype.slice.call(document.querySelectorAll('svg.seekable'));
function moveCursors(t) {
  seekables.forEach(function (svg) {
    var t0 = +svg.getAttribute('data-t0'), t1 = +svg.getAttribute('data-t1'), x0 = +svg.getAttribute('data-x0'), w = +svg.getAttribute('data-w');
    var x = x0 + ((t - t0) / (t1 - t0 || 1)) * w;
    var c = svg.querySelector('line.cursor');
    if (c) { c.setAttribute('x1', r1(x)); c.setAttribute('x2', r1(x)); }
  });
}
seekables.forEach(function (svg) {
  svg.addEventListener('click', function (ev) {
    var m = svg.getScreenCTM();
    if (!m) return;
    var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
    var p = pt.matrixTransform(m.inverse());
    var t0 = +svg.getAttribute('data-t0'), t1 = +svg.getAttribute('data-t1'), x0 = +svg.getAttribute('data-x0'), w = +svg.getAttribute('data-w');
    seekTime(t0 + ((p.x - x0) / w) * (t1 - t0));
  });
});
function seekTime(t) {
  var lo = 0, hi = D.frames.length - 1;
  while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (D.frames[mid].t <= t) lo = mid; else hi = mid - 1; }
  show(lo);
}

// ---- the zoomed timeline around the instant ----
function drawDetail(t) {
  if (!detail) return;
  clear(detail);
  var span = +spanSel.value || D.endUs;
  var t0 = Math.max(0, t - span / 2), t1 = Math.min(D.endUs, t0 + span);
  t0 = Math.max(0, t1 - span);
  var x0 = D.axis.x0, w = D.axis.plotWidth, laneH = 16, gap = 4;
  var height = D.lanes.length * (laneH + gap) + 30;
  detail.setAttribute('viewBox', '0 0 ' + D.axis.width + ' ' + height);
  detail.setAttribute('height', height);
  var X = function (us) { return x0 + (Math.max(t0, Math.min(t1, us)) - t0) / (t1 - t0 || 1) * w; };
  D.lanes.forEach(function (lane, li) {
    var y = li * (laneH + gap) + 2;
    detail.appendChild(mk('text', { x: 4, y: y + 12, class: 'lane-label' }, lane.label));
    detail.appendChild(mk('rect', { x: x0, y: y, width: w, height: laneH, class: 'lane-bg' }));
    var ops = lane.ops, k = lowerBound(ops, t0), steps = 0;
    while (k > 0 && steps < 64 && (ops[k - 1][2] < 0 || ops[k - 1][2] > t0)) { k--; steps++; }
    var visible = [];
    for (; k < ops.length && ops[k][1] <= t1 && visible.length <= 1200; k++) visible.push(ops[k]);
    if (visible.length > 600) drawBuckets(visible, y, laneH, t0, t1, x0, w);
    else visible.forEach(function (o) { drawOp(o, y, laneH, X, t1); });
    // An unknown op called before the window may still take effect in it: its tail crosses the window.
    var first = visible.length ? visible[0][1] : t1, tails = 0;
    for (var u = 0; u < lane.unknown.length && tails < 50; u++) {
      var uo = ops[lane.unknown[u]];
      if (uo[1] >= first || uo[1] >= t0) break;
      detail.appendChild(titled(mk('line', { x1: x0, y1: y + laneH / 2 + 3, x2: r1(x0 + w), y2: y + laneH / 2 + 3, class: 'unknown-tail', stroke: D.colors.status[2] }), (D.labels[String(uo[0])] || 'op ' + uo[0]) + ' — called ' + fmt(uo[1]) + ', outcome unknown: it may take effect until the end'));
      tails++;
    }
  });
  var axisY = D.lanes.length * (laneH + gap) + 6;
  detail.appendChild(mk('line', { x1: x0, y1: axisY, x2: x0 + w, y2: axisY, class: 'axis' }));
  var step = niceStep((t1 - t0) / 8);
  for (var tk = Math.ceil(t0 / step) * step, n = 0; tk <= t1 && n < 20; tk += step, n++) {
    detail.appendChild(mk('line', { x1: r1(X(tk)), y1: 0, x2: r1(X(tk)), y2: axisY, class: 'grid' }));
    detail.appendChild(mk('text', { x: r1(X(tk)), y: axisY + 14, class: 'tick', 'text-anchor': 'middle' }, fmt(tk)));
  }
  detail.appendChild(mk('line', { x1: r1(X(t)), y1: 0, x2: r1(X(t)), y2: axisY, class: 'cursor' }));
  document.getElementById('detail-range').textContent = fmt(t0) + ' – ' + fmt(t1);
}
function lowerBound(ops, t) { var lo = 0, hi = ops.length; while (lo < hi) { var mid = (lo + hi) >> 1; if (ops[mid][1] < t) lo = mid + 1; else hi = mid; } return lo; }
function niceStep(raw) { var p = Math.pow(10, Math.floor(Math.log10(Math.max(1, raw)))); return [1, 2, 5, 10].map(function (m) { return m * p; }).filter(function (s) { return s >= raw; })[0] || 10 * p; }
function drawOp(o, y, laneH, X, t1) {
  var status = ['ok', 'fail', 'unknown'][o[3]], mark = ['none', 'failed', 'related'][o[4]];
  var end = o[2] < 0 ? o[1] : o[2];
  var x1 = X(o[1]), x2 = Math.max(x1 + 1.5, X(end));
  if (status === 'unknown') detail.appendChild(mk('line', { x1: r1(x2), y1: y + laneH / 2, x2: r1(X(t1)), y2: y + laneH / 2, class: 'unknown-tail', stroke: D.colors.status[2] }));
  var label = D.labels[String(o[0])] || ('op ' + o[0]);
  var r = mk('rect', { x: r1(x1), y: y + 1, width: r1(x2 - x1), height: laneH - 2, fill: D.colors.status[o[3]], class: 'op op-' + status + (mark === 'none' ? '' : ' mark-' + mark), 'data-op': o[0] });
  var text = label + ' — called ' + fmt(o[1]) + ', ' + (o[2] < 0 ? 'never returned' : 'returned ' + fmt(o[2]));
  r.addEventListener('click', function () { document.getElementById('op-info').textContent = 'op ' + o[0] + ': ' + text; });
  detail.appendChild(titled(r, text));
}
function drawBuckets(ops, y, laneH, t0, t1, x0, w) {
  var n = Math.floor(w / 2), counts = [], max = 1;
  for (var b = 0; b < n; b++) counts.push([0, 0, 0]);
  ops.forEach(function (o) {
    var end = o[2] < 0 ? o[1] : o[2];
    var first = Math.max(0, Math.floor((o[1] - t0) / (t1 - t0) * n)), last = Math.min(n - 1, Math.floor((end - t0) / (t1 - t0) * n));
    for (var i = first; i <= last; i++) { counts[i][o[3]]++; }
  });
  counts.forEach(function (c) { max = Math.max(max, c[0] + c[1] + c[2]); });
  counts.forEach(function (c, i) {
    var total = c[0] + c[1] + c[2], top = y + 1;
    if (!total) return;
    [1, 2, 0].forEach(function (s) {
      var h = (laneH - 2) * c[s] / total;
      if (h <= 0) return;
      detail.appendChild(mk('rect', { x: r1(x0 + i * w / n), y: r1(top), width: r1(w / n), height: r1(h), fill: D.colors.status[s], 'fill-opacity': r1(0.35 + 0.65 * total / max), class: 'bucket' }));
      top += h;
    });
  });
}

// ---- controls ----
function show(i) {
  current = Math.max(0, Math.min(D.frames.length - 1, i | 0));
  slider.value = String(current);
  var f = D.frames[current];
  drawCluster(f);
  drawCaption(f);
  moveCursors(f.t);
  drawDetail(f.t);
}
function nextEventFrame(dir) {
  for (var i = current + dir; i >= 0 && i < D.frames.length; i += dir) if (D.frames[i].et > 0) return i;
  return dir > 0 ? D.frames.length - 1 : 0;
}
function on(id, fn) { var e = document.getElementById(id); if (e) e.addEventListener('click', fn); }
slider.max = String(Math.max(0, D.frames.length - 1));
slider.addEventListener('input', function () { show(+slider.value); });
on('step-first', function () { show(0); });
on('step-prev-event', function () { show(nextEventFrame(-1)); });
on('step-prev', function () { show(current - 1); });
on('step-next', function () { show(current + 1); });
on('step-next-event', function () { show(nextEventFrame(1)); });
on('step-last', function () { show(D.frames.length - 1); });
on('step-play', function () {
  var b = document.getElementById('step-play');
  if (playing !== null) { clearInterval(playing); playing = null; b.textContent = '▶ play'; return; }
  b.textContent = '❚❚ pause';
  playing = setInterval(function () {
    if (current >= D.frames.length - 1) { clearInterval(playing); playing = null; b.textContent = '▶ play'; return; }
    show(current + 1);
  }, 150);
});
if (spanSel) spanSel.addEventListener('change', function () { drawDetail(D.frames[current].t); });
if (D.frames.length > 0) show(0);
document.documentElement.setAttribute('data-ready', '1');
})();
`;
