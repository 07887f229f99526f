/**
 * `raftsim bugs [--json]`: the bug zoo — every known etcd / etcd-raft bug that a scenario can switch
 * back on (`bugs: [...]`), with its upstream links, fix, layer, the check that should catch it and
 * whether the generic swarm can reach it; then the catalogued bugs this design cannot hold, and why.
 */
import type { Argv, CommandModule } from 'yargs';
import { SWITCHABLE_BUGS, UNHOLDABLE_BUGS } from '../bugs.js';
import { print } from './io.js';

interface BugsArgs {
  readonly json: boolean;
}

export const bugsCommand: CommandModule<object, BugsArgs> = {
  command: 'bugs',
  describe: 'List the known etcd bugs a scenario can switch back on (and those it cannot hold)',
  builder: (y: Argv) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print {switchable: [...], unholdable: [...]} as JSON' })
      .example('$0 bugs', 'one line per switch, then the bugs the design cannot hold')
      .example("$0 run swarm --seed 7 --set 'bugs=[etcd-20221]'", 'a run with one bug switched on')
      .example('$0 hunt etcd-20221 --seeds 200', 'let the swarm find it') as unknown as Argv<BugsArgs>,
  handler: (args) => {
    if (args.json) {
      print(
        JSON.stringify(
          {
            switchable: SWITCHABLE_BUGS.map((b) => ({
              id: b.id, title: b.title, breaks: b.breaks, layer: b.layer, links: b.links, fix: b.fix, checks: b.checks,
              swarmReachable: b.swarmReachable, reach: b.reach, ...(b.alsoSets === undefined ? {} : { alsoSets: b.alsoSets }),
            })),
            unholdable: UNHOLDABLE_BUGS.map((b) => ({ id: b.id, title: b.title, links: b.links, why: b.why })),
          },
          null,
          1,
        ),
      );
      return;
    }
    const w = Math.max(...SWITCHABLE_BUGS.map((b) => b.id.length));
    print(`${SWITCHABLE_BUGS.length} bugs a scenario can switch back on (bugs: [...], or --set bugs=[id,...]):`);
    for (const b of SWITCHABLE_BUGS) {
      print(`${b.id.padEnd(w)}  ${b.layer.padEnd(9)}  ${b.title}`);
      print(`${' '.repeat(w)}  breaks: ${b.breaks}`);
      print(`${' '.repeat(w)}  caught by: ${b.checks.join(', ')}; swarm: ${b.swarmReachable ? 'reachable' : 'not reachable'} (${b.reach})`);
      print(`${' '.repeat(w)}  fix: ${b.fix}; ${b.links.map((l) => l.url).join(' ')}`);
    }
    print();
    print(`${UNHOLDABLE_BUGS.length} catalogued bugs this design cannot hold:`);
    const u = Math.max(...UNHOLDABLE_BUGS.map((b) => b.id.length));
    for (const b of UNHOLDABLE_BUGS) print(`${b.id.padEnd(u)}  ${b.title}: ${b.why}`);
  },
};
