/**
 * What a built-in scenario is: a name, a paragraph that says what it teaches, and the scenario
 * itself in the same partial JSON shape a user's file has (scenarios/schema.ts fills the rest).
 */
import type { ScenarioInput } from '../schema.js';

export interface BuiltinScenario {
  readonly name: string;
  /** One line for `raftsim list` and the README's table. */
  readonly summary: string;
  /** One paragraph: what the scenario shows and what to look at in its report. */
  readonly description: string;
  /**
   * What a default run of it is expected to conclude: `pass` (every check passes: the system
   * copes), or `fail` (it demonstrates an anomaly — a stale read, a lost write — on purpose; the
   * description says which setting makes it pass).
   */
  readonly expect: 'pass' | 'fail';
  /** The scenario for a seed. Only `swarm` looks at the seed; the others are fixed. */
  scenario(seed: number): ScenarioInput;
}
