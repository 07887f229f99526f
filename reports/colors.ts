/**
 * Colours: one place, so the legend, the SVG and the page's script agree. Status colours are
 * distinguishable for the common colour-vision deficiencies (blue / orange / red-purple), and every
 * colour is backed by text (a title, a label, the legend) for anyone who cannot tell them apart.
 */
import type { OpStatus } from '../sim/history.js';
import type { NodeRole } from './node-lanes.js';

export const STATUS_COLOR: Readonly<Record<OpStatus, string>> = { ok: '#3a7dc9', fail: '#c0392b', unknown: '#e69a28' };

export const ROLE_COLOR: Readonly<Record<NodeRole, string>> = {
  leader: '#d4a017',
  candidate: '#e0662a',
  'pre-candidate': '#f2b38a',
  follower: '#8fb3d9',
  unknown: '#d0d0d0',
};

export const FAULT_COLOR: Readonly<Record<string, string>> = {
  partition: '#8e44ad',
  crash: '#4d4d4d',
  'crash-point': '#4d4d4d',
  pause: '#2c7fb8',
  'disk-fault': '#c0392b',
  'disk-stall': '#d35400',
  clock: '#16a085',
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
