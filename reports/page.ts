/**
 * The HTML shell every report shares: one self-contained file — inline CSS, at most one inline
 * script, data in a `<script type="application/json">` element — and nothing fetched from the
 * network. A Content-Security-Policy allows only that one script (by its hash), inline styles, and
 * nothing else (no connections, no images from anywhere, no frames), so a report opened offline
 * stays offline and markup smuggled in through a record could not run even if escaping failed.
 */
import { escapeHtml, jsonForScript } from './escape.js';
import { assert } from './invariant.js';
import { cspHashOf } from './sha256.js';

export interface PageParts {
  readonly title: string;
  /** Rendered markup (callers escape what they put in). */
  readonly body: string;
  /** The page's script (plain JS), or '' for none. */
  readonly script: string;
  /** Data for the script, embedded as JSON under `id="raftsim-data"`; undefined for none. */
  readonly data?: unknown;
  /** Add the Content-Security-Policy (default true; tests turn it off to test escaping alone). */
  readonly csp?: boolean;
}

export function renderPage(p: PageParts): string {
  assert(!/<\/script/i.test(p.script), 'page: the script must not contain </script');
  const csp = p.csp ?? true;
  const scriptSrc = p.script === '' ? "'none'" : cspHashOf(p.script);
  const policy = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${scriptSrc}; base-uri 'none'; form-action 'none'`;
  const head = [
    '<meta charset="utf-8">',
    csp ? `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">` : '',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(p.title)}</title>`,
    `<style>${CSS}</style>`,
  ].filter((l) => l !== '');
  const data = p.data === undefined ? '' : `<script type="application/json" id="raftsim-data">${jsonForScript(p.data)}</script>\n`;
  const script = p.script === '' ? '' : `<script>${p.script}</script>\n`;
  return `<!doctype html>\n<html lang="en">\n<head>\n${head.join('\n')}\n</head>\n<body>\n${p.body}\n${data}${script}</body>\n</html>\n`;
}

const CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --bg: #ffffff; --panel: #f6f7f9; --ok: #2e7d32; --fail: #c0392b; --unknown: #b26a00; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 0 24px 48px; max-width: 1280px; margin-inline: auto; }
h1 { font-size: 22px; margin: 20px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p, li { max-width: 78ch; } .muted { color: var(--muted); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: var(--panel); padding: 10px 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; margin: 8px 0; } th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: var(--panel); } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 700; color: #fff; text-transform: uppercase; font-size: 12px; letter-spacing: .04em; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--fail); } .verdict.unknown { background: var(--unknown); } .verdict.skipped { background: #8a93a3; }
.headline { font-size: 16px; margin: 6px 0 12px; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 18px; color: var(--muted); margin: 6px 0; } .facts b { color: var(--fg); font-weight: 600; }
.chart { width: 100%; overflow-x: auto; } .chart svg { max-width: 100%; height: auto; display: block; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); margin: 4px 0 8px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -2px; margin-right: 4px; }
.violation { border-left: 4px solid var(--fail); background: #fdf1ef; padding: 8px 14px; border-radius: 0 6px 6px 0; }
.summary { border-left: 4px solid #3a7dc9; background: #f0f5fb; padding: 6px 14px; border-radius: 0 6px 6px 0; }
.violation .explanation { font-size: 15px; margin: 6px 0; }
svg text { font-family: system-ui, sans-serif; }
svg .tick { font-size: 10.5px; fill: #667; } svg .axis { stroke: #99a; } svg .grid { stroke: #eef0f4; }
svg .lane-label { font-size: 11.5px; fill: #334; } svg .lane-bg { fill: #fafbfc; }
svg .band-label { font-size: 10.5px; fill: #fff; pointer-events: none; } svg .band-label.dark { font-weight: 600; }
svg .fault-shade { opacity: 0.07; pointer-events: none; } svg .fault.open { opacity: 0.85; }
svg .op { stroke: none; } svg .op.mark-failed { stroke: #000; stroke-width: 2.5; } svg .op.mark-related { stroke: #6a1b9a; stroke-width: 2.5; stroke-dasharray: 3 2; }
svg .unknown-tail { stroke-width: 1.2; stroke-dasharray: 2 3; opacity: 0.8; }
svg .seg-label { font-size: 10.5px; fill: #1d2330; pointer-events: none; } svg .seg-label.light { fill: #eee; }
svg .cursor { stroke: #e91e63; stroke-width: 1.5; pointer-events: none; }
svg .chart-title { font-size: 12.5px; font-weight: 600; fill: #334; } svg .series-label { font-size: 11px; font-weight: 600; }
svg .shade { opacity: 0.13; } svg.seekable { cursor: crosshair; }
.step { display: grid; grid-template-columns: minmax(320px, 520px) 1fr; gap: 18px; align-items: start; }
@media (max-width: 900px) { .step { grid-template-columns: 1fr; } }
.controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 8px 0; }
.controls button, .controls select { font: inherit; padding: 3px 9px; border: 1px solid #b8bfcc; border-radius: 5px; background: #fff; cursor: pointer; }
.controls button:hover { background: var(--panel); } #step-slider { flex: 1 1 320px; min-width: 200px; }
#step-time { font-variant-numeric: tabular-nums; font-weight: 600; min-width: 9ch; }
#cluster { width: 100%; height: auto; background: var(--panel); border-radius: 8px; }
#step-events { margin: 6px 0; padding-left: 18px; min-height: 3em; } #step-events li { margin: 2px 0; }
#op-info { min-height: 1.5em; }
.logs .log { font: 12px monospace; margin: 3px 0; white-space: nowrap; overflow: hidden; }
.logs .log .e { display: inline-block; width: 16px; height: 16px; margin: 1px; color: #fff; text-align: center; font-size: 10px; line-height: 16px; opacity: .45; border-bottom: 3px solid transparent; }
.logs .log .e.c { opacity: 1; } .logs .log .e.a { border-bottom-color: #000; } .logs .snap { color: #000; font-weight: bold; }
#step-clients { margin: 6px 0; padding-left: 18px; font-size: 13px; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 14px 22px; }
.panels.wide { grid-template-columns: 1fr; }
.panel { border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px 10px; }
.explain p { margin: 6px 0; }
nav.toc a { margin-right: 12px; }
details summary { cursor: pointer; color: var(--muted); }
`;
