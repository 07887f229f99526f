/**
 * Built-ins about partitions and elections: term inflation on rejoin, partial connectivity, and a
 * leader cut off in a minority.
 */
import type { BuiltinScenario } from './builtin.js';

export const prevoteRejoin: BuiltinScenario = {
  name: 'prevote-rejoin',
  summary: 'an isolated follower rejoins: PreVote keeps its term, without it the leader is deposed',
  description:
    'A follower is cut off from the network for 8 s (8 election timeouts) and then rejoins. ' +
    'Without PreVote it times out again and again, each time raising its term, and on return its ' +
    'higher term forces the healthy leader to step down: an election nobody needed and a write ' +
    'outage (etcd-raft TestDisruptiveFollower). With PreVote (the default here, as in etcd) it first ' +
    'asks whether it could win; nobody agrees while a leader is alive, so its term never moves and ' +
    'the leader keeps leading. Compare with --set cluster.preVote=false, or run `raftsim experiment prevote`.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 14_000,
    // Off the network altogether: clients fail over to the others, so any write outage is the rejoin's.
    faults: [{ type: 'isolate', at: 2_000, node: 'follower', for: 8_000, clients: true }],
  }),
};

export const asymmetricPartition: BuiltinScenario = {
  name: 'asymmetric-partition',
  summary: 'partial connectivity (leader and one follower cut, a bridge between them)',
  description:
    'Partial connectivity, the case behind Cloudflare\'s 2020 etcd outage: the link between the ' +
    'leader and one follower is cut both ways, while the third member still reaches both. The cut-off ' +
    'follower hears no heartbeats and wants an election; the bridging member still hears the leader. ' +
    'With PreVote and CheckQuorum the bridge refuses to vote while its leader is alive, so the ' +
    'leader stays and writes go on; turn both off (--set cluster.preVote=false --set ' +
    'cluster.checkQuorum=false) and watch leadership churn in the report\'s role lanes.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 12_000,
    faults: [{ type: 'bridge', at: 2_000, node: 'follower', groups: [['leader'], ['follower']], for: 7_000 }],
  }),
};

export const leaderMinority: BuiltinScenario = {
  name: 'leader-minority',
  summary: 'the leader is cut off in a minority: how long does it go on leading?',
  description:
    'The leader of a 5-member cluster is cut off with one follower, a minority. The majority elects ' +
    'a new leader after an election timeout. With CheckQuorum the old leader notices within an ' +
    'election timeout that it no longer hears a quorum and steps down; without it (--set ' +
    'cluster.checkQuorum=false) it goes on believing it leads until the partition heals — which is ' +
    'what a leader-local read trusts. `raftsim experiment checkquorum` measures how long.',
  expect: 'pass',
  scenario: () => ({
    durationMs: 10_000,
    cluster: { size: 5 },
    faults: [{ type: 'split', at: 2_000, groups: [['leader', 'follower'], 'rest'], for: 5_000 }],
  }),
};
