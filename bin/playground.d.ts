/** Types of bin/playground.js (a plain script, run by node). */
export function buildPlayground(out: string): Promise<string>;
