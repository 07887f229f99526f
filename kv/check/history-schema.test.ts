import { describe, expect, it } from 'vitest';
import { parseHistory } from '../../sim/check/history-file.js';
import { etcdSchemas } from './history-schema.js';

describe('etcd history file schemas', () => {
  it('keep the revision of a recorded lease expiry (the model pins the unknown revoke to it)', () => {
    const line = JSON.stringify({ client: 3, op: 'lease-revoke', input: { id: 7, revision: 42 }, call: 10, return: null, status: 'unknown' });
    const r = parseHistory(`${line}\n`, etcdSchemas);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.ops[0]?.input).toEqual({ id: 7, revision: 42 });
  });

  it('refuse a lease revoke whose revision is not a whole number, naming the field', () => {
    const line = JSON.stringify({ client: 3, op: 'lease-revoke', input: { id: 7, revision: 'soon' }, call: 10, return: null, status: 'unknown' });
    const r = parseHistory(`${line}\n`, etcdSchemas);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(`${r.error.line} ${r.error.path}`).toBe('1 input.revision');
  });
});
