/**
 * The alarm store (etcd's v3alarm.AlarmStore): which member raised which alarm. It is part of the
 * replicated state — alarms are activated and deactivated by entries, so every member caps its
 * applier at the same log index — and part of the state machine snapshot.
 */
import { assert } from '../../sim/assert.js';
import type { AlarmMember, AlarmType } from '../wire.js';

/** A bound far above any cluster's member count × alarm kinds. */
const ALARMS_MAX = 1024;

export class AlarmStore {
  private readonly alarms = new Map<string, AlarmMember>();

  /** Activates; returns the alarm if it was not active yet (etcd answers with the new alarm only). */
  activate(memberId: number, alarm: AlarmType): AlarmMember | undefined {
    const k = `${memberId}/${alarm}`;
    if (this.alarms.has(k)) return undefined;
    assert(this.alarms.size < ALARMS_MAX, () => `alarms: more than ${ALARMS_MAX} active`);
    const m: AlarmMember = { memberId, alarm };
    this.alarms.set(k, m);
    return m;
  }

  /** Deactivates; returns the alarm if it was active. */
  deactivate(memberId: number, alarm: AlarmType): AlarmMember | undefined {
    const k = `${memberId}/${alarm}`;
    const m = this.alarms.get(k);
    this.alarms.delete(k);
    return m;
  }

  /** The active alarm of `alarm` kind of member `memberId` (exactly that id), if any. */
  get(memberId: number, alarm: AlarmType): AlarmMember | undefined {
    return this.alarms.get(`${memberId}/${alarm}`);
  }

  /** Active alarms of `alarm` kind (all kinds if undefined), of one member (0 = all), sorted. */
  list(memberId = 0, alarm?: AlarmType): AlarmMember[] {
    return [...this.alarms.values()]
      .filter((m) => (memberId === 0 || m.memberId === memberId) && (alarm === undefined || m.alarm === alarm))
      .sort((a, b) => a.memberId - b.memberId || (a.alarm < b.alarm ? -1 : a.alarm > b.alarm ? 1 : 0));
  }

  has(alarm: AlarmType): boolean {
    for (const m of this.alarms.values()) if (m.alarm === alarm) return true;
    return false;
  }

  toJSON(): AlarmMember[] {
    return this.list();
  }

  replaceWith(members: readonly AlarmMember[]): void {
    this.alarms.clear();
    for (const m of members) this.activate(m.memberId, m.alarm);
  }
}
