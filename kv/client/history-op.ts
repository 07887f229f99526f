/**
 * How a client call becomes a history operation (sim/history), in the shape the etcd model checks:
 * `op` = the method name (`range`, `put`, `delete`, `txn`, `compact`, `lease-grant`, …), `key` = the
 * request's key where it has one, `input` = the kv/api request, `output` = `{ revision: <header
 * revision>, ...response }` when ok, the KvError when it failed definitely, nothing when unknown.
 */
import type { KvError, ResponseHeader } from '../api.js';
import type { KvCall } from '../wire.js';

export function historyKey(call: KvCall): string | undefined {
  switch (call.method) {
    case 'range':
    case 'put':
    case 'delete':
      return call.request.key;
    default:
      return undefined;
  }
}

export function historyOutput(header: ResponseHeader, response: unknown): Record<string, unknown> {
  return { revision: header.revision, ...(response as Record<string, unknown>) };
}

export function historyError(error: KvError): KvError {
  return { code: error.code, message: error.message };
}
