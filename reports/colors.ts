/**
 * Colours: one place, so the legend, the SVG and the page's script agree. They come from the
 * Okabe–Ito palette, distinguishable for the common colour-vision deficiencies, and no two things
 * drawn side by side share one (ok is blue, pause reddish purple; failed is vermillion, a disk
 * fault black) — and every colour is backed by text (a title, a label, the legend).
 */
import type { OpStatus } from '../sim/history.js';
import type { NodeRole } from './node-lanes.js';

export const STATUS_COLOR: Readonly<Record<OpStatus, string>> = { ok: '#0072b2', fail: '#d55e00', unknown: '#e69f00' };

export const ROLE_COLOR: Readonly<Record<NodeRole, string>> = {
  leader: '#d4a017',
  candidate: '#e0662a',
  'pre-candidate': '#f2b38a',
  follower: '#8fb3d9',
  unknown: '#d0d0d0',
};

export const FAULT_COLOR: Readonly<Record<string, string>> = {
  partition: '#8e44ad',
  crash: '#6b6b6b',
  'crash-point': '#6b6b6b',
  pause: '#cc79a7',
  'disk-fault': '#000000',
  'disk-stall': '#f0e442',
  clock: '#009e73',
};

export const FAULT_COLOR_OTHER = '#7f8c8d';

export function faultColor(kind: string): string {
  return FAULT_COLOR[kind] ?? FAULT_COLOR_OTHER;
}

/** Series colours for node n (by position), readable on white. */
export const SERIES_COLORS: readonly string[] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function seriesColor(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length] as string;
}
