/**
 * The network's partition as text (`net.partition`'s `cut` field: `1<->3,2->3`, or `none`) and
 * back: a set of cut *directed* links. `a<->b` cuts both directions, `a->b` only a → b (b still
 * reaches a: the asymmetric case).
 */
import { assert } from './invariant.js';

/** A cut directed link: messages from `from` to `to` are dropped. */
export interface CutLink {
  readonly from: number;
  readonly to: number;
}

const PART = /^(\d+)(<->|->)(\d+)$/;

/** Parses a `cut` field. Unknown syntax is an invariant violation: the kernel writes this field. */
export function parseCut(cut: string): CutLink[] {
  const text = cut.trim();
  if (text === '' || text === 'none') return [];
  const links: CutLink[] = [];
  for (const part of text.split(',')) {
    const m = PART.exec(part.trim());
    assert(m !== null, () => `cut-links: cannot read ${JSON.stringify(part)} in cut ${JSON.stringify(cut)}`);
    const a = Number(m[1]);
    const b = Number(m[3]);
    links.push({ from: a, to: b });
    if (m[2] === '<->') links.push({ from: b, to: a });
  }
  return links;
}

/** The hosts a cut touches, ascending. */
export function hostsOfCut(links: readonly CutLink[]): number[] {
  return [...new Set(links.flatMap((l) => [l.from, l.to]))].sort((a, b) => a - b);
}

/** Only the links between two of `hosts` (the members, say: client links are not drawn). */
export function linksAmong(links: readonly CutLink[], hosts: readonly number[]): CutLink[] {
  const set = new Set(hosts);
  return links.filter((l) => set.has(l.from) && set.has(l.to));
}

/** `{1,2} | {3}`: partition groups for a label. */
export function formatGroups(groups: readonly (readonly number[])[]): string {
  return groups.map((g) => `{${g.join(',')}}`).join(' | ');
}
