/** File names the writer uses, as pure functions, so that pages can link to each other's files. */

/** A safe file name stem: letters, digits, `-`, `_`, `.` (no path separators, no leading dot). */
export function fileStem(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 80);
  return s === '' ? 'report' : s;
}

/** `experiment-<name>` (then `.html`, `.md`, `.json`). */
export function experimentStem(experiment: string): string {
  return `experiment-${fileStem(experiment)}`;
}
