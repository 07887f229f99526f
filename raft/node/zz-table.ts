import { CRASH_POINTS } from './crash-points.js';
import { runCrashScenario, SNAPSHOT_RECEIPT_POINTS } from './crash-scenario.js';
for (const p of CRASH_POINTS) {
  const roles = p === 'raftBeforeLeaderSend' ? ['leader'] : p === 'raftBeforeFollowerSend' || SNAPSHOT_RECEIPT_POINTS.includes(p) ? ['follower'] : ['leader', 'follower'];
  for (const role of roles) {
    const r = runCrashScenario({ seed: Number(process.argv[2] ?? 7), point: p, role: role as 'leader' });
    const c = r.crash!;
    console.log(p.padEnd(24), role.padEnd(8), 'n' + c.id, 't=' + c.atUs, 'before', JSON.stringify(c.before), 'after', JSON.stringify(c.after), 'ack', JSON.stringify(c.lastAck), 'lost', r.committedLost, r.committedAtCrash, '->', r.committedAtEnd);
  }
}
