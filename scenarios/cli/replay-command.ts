/**
 * `raftsim replay <run.json>`: runs a saved run record again — its resolved settings, its seed —
 * and confirms the same trace hash (exit 0), or shows the first trace line that differs (exit 1).
 */
import type { Argv, CommandModule } from 'yargs';
import { renderEvent, type TraceEvent } from '../../sim/trace.js';
import { EXIT_CHECK_FAILED, UserInputError } from '../errors.js';
import { resolveScenario } from '../resolve.js';
import { runScenario } from '../runner.js';
import { parseRunRecord } from '../run-record-file.js';
import { print, readText } from './io.js';

interface ReplayArgs {
  readonly record: string;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: 'replay <record>',
  describe: 'Re-run a saved run record and confirm it reproduces bit for bit',
  builder: (y: Argv) =>
    y
      .positional('record', { type: 'string', describe: 'a run.json written by `raftsim run --out`' })
      .example('$0 replay out/stale/run.json', 'same trace hash → exit 0; else the first differing trace line, exit 1') as unknown as Argv<ReplayArgs>,
  handler: (args) => {
    const parsed = parseRunRecord(readText(args.record), args.record);
    if (!parsed.ok) throw new UserInputError(parsed.error);
    const saved = parsed.value;
    // The settings are the resolved scenario: the overrides are already in them.
    const resolved = resolveScenario(saved.settings, { source: `${args.record} (settings)` });
    if (!resolved.ok) throw new UserInputError(resolved.error);
    const again = runScenario({ name: saved.scenario, description: saved.description, scenario: resolved.scenario, seed: saved.seed, overrides: saved.overrides, trace: 'keep', keepHistory: false });
    if (again.traceHash === saved.traceHash) {
      print(`replay: same trace hash ${again.traceHash} (${again.events.toLocaleString('en-US')} events, seed ${saved.seed})`);
      return;
    }
    print(`replay: trace hash ${again.traceHash} differs from the recorded ${saved.traceHash} (${again.events} events now, ${saved.events} recorded)`);
    const diff = firstDifference(saved.trace, again.trace);
    if (diff === null) print('the kept trace lines are identical: the difference is in events the record did not keep');
    else {
      print(`first difference at trace event #${diff.index}:`);
      print(`  recorded: ${diff.recorded}`);
      print(`  replayed: ${diff.replayed}`);
    }
    print(`reproduce: ${saved.reproduce}`);
    process.exitCode = EXIT_CHECK_FAILED;
  },
};

/** The first kept event (by trace position) whose line differs, or that one side lacks. */
export function firstDifference(a: readonly TraceEvent[], b: readonly TraceEvent[]): { index: number; recorded: string; replayed: string } | null {
  const byIndex = new Map(b.map((e) => [e.index, e]));
  const start = Math.max(a[0]?.index ?? 0, b[0]?.index ?? 0);
  for (const e of a) {
    if (e.index < start) continue;
    const other = byIndex.get(e.index);
    const line = renderEvent(e);
    const otherLine = other === undefined ? '(no such event)' : renderEvent(other);
    if (line !== otherLine) return { index: e.index, recorded: line, replayed: otherLine };
  }
  const extra = b.find((e) => e.index >= start && e.index > (a[a.length - 1]?.index ?? -1));
  return extra === undefined ? null : { index: extra.index, recorded: '(no such event)', replayed: renderEvent(extra) };
}
