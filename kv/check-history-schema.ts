/**
 * zod schemas of the etcd history operations (kv/model.ts documents the shapes): what
 * `raftsim check <file> --model etcd` accepts, line by line, with a precise message for a bad
 * field (`input.compare[0].target: expected "VALUE"|…`).
 *
 * Methods the model does not check (lease keepalive, status, …) are accepted with any input and
 * output, so a run's whole history can be given as it is.
 */
import { z } from 'zod';
import type { OperationSchemas } from '../sim/check/history-file.js';

const revision = z.number().int();

export const keyValueSchema = z.object({
  key: z.string(),
  createRevision: revision,
  modRevision: revision,
  version: z.number().int(),
  value: z.string(),
  lease: z.number().int(),
});

const sortOrder = z.enum(['NONE', 'ASCEND', 'DESCEND']);
const sortTarget = z.enum(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);

export const rangeRequestSchema = z.object({
  key: z.string(),
  rangeEnd: z.string().exactOptional(),
  limit: z.number().int().exactOptional(),
  revision: revision.exactOptional(),
  sortOrder: sortOrder.exactOptional(),
  sortTarget: sortTarget.exactOptional(),
  serializable: z.boolean().exactOptional(),
  keysOnly: z.boolean().exactOptional(),
  countOnly: z.boolean().exactOptional(),
  minModRevision: revision.exactOptional(),
  maxModRevision: revision.exactOptional(),
  minCreateRevision: revision.exactOptional(),
  maxCreateRevision: revision.exactOptional(),
});

export const putRequestSchema = z.object({
  key: z.string(),
  value: z.string(),
  lease: z.number().int().exactOptional(),
  prevKv: z.boolean().exactOptional(),
  ignoreValue: z.boolean().exactOptional(),
  ignoreLease: z.boolean().exactOptional(),
});

export const deleteRequestSchema = z.object({
  key: z.string(),
  rangeEnd: z.string().exactOptional(),
  prevKv: z.boolean().exactOptional(),
});

const compareResult = z.enum(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']);
const compareBase = { result: compareResult, key: z.string(), rangeEnd: z.string().exactOptional() };

export const compareSchema = z.discriminatedUnion('target', [
  z.object({ target: z.literal('VALUE'), ...compareBase, value: z.string() }),
  z.object({ target: z.literal('VERSION'), ...compareBase, version: z.number().int() }),
  z.object({ target: z.literal('CREATE'), ...compareBase, createRevision: revision }),
  z.object({ target: z.literal('MOD'), ...compareBase, modRevision: revision }),
  z.object({ target: z.literal('LEASE'), ...compareBase, lease: z.number().int() }),
]);

const rangeResponseSchema = z.object({ kvs: z.array(keyValueSchema), more: z.boolean(), count: z.number().int() });
const putResponseSchema = z.object({ prevKv: keyValueSchema.exactOptional() });
const deleteResponseSchema = z.object({ deleted: z.number().int(), prevKvs: z.array(keyValueSchema) });

// Txns nest: the schemas refer to themselves through getters (zod v4's recursive objects).
export const txnRequestSchema = z.object({
  compare: z.array(compareSchema),
  get success() {
    return z.array(requestOpSchema);
  },
  get failure() {
    return z.array(requestOpSchema);
  },
});

const requestOpSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('range'), request: rangeRequestSchema }),
  z.object({ type: z.literal('put'), request: putRequestSchema }),
  z.object({ type: z.literal('delete'), request: deleteRequestSchema }),
  z.object({
    type: z.literal('txn'),
    get request() {
      return txnRequestSchema;
    },
  }),
]);

export const txnResponseSchema = z.object({
  succeeded: z.boolean(),
  get responses() {
    return z.array(responseOpSchema);
  },
});

const responseOpSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('range'), response: rangeResponseSchema }),
  z.object({ type: z.literal('put'), response: putResponseSchema }),
  z.object({ type: z.literal('delete'), response: deleteResponseSchema }),
  z.object({
    type: z.literal('txn'),
    get response() {
      return txnResponseSchema;
    },
  }),
]);

const withRevision = <T extends z.ZodRawShape>(shape: T) => z.object({ revision, ...shape });
const anything = { input: z.unknown(), output: z.unknown() };

export const etcdSchemas: OperationSchemas = {
  range: { input: rangeRequestSchema, output: withRevision(rangeResponseSchema.shape) },
  put: { input: putRequestSchema, output: withRevision(putResponseSchema.shape) },
  delete: { input: deleteRequestSchema, output: withRevision(deleteResponseSchema.shape) },
  txn: { input: txnRequestSchema, output: withRevision({ succeeded: z.boolean(), responses: z.array(responseOpSchema) }) },
  compact: { input: z.object({ revision, physical: z.boolean().exactOptional() }), output: withRevision({}) },
  'lease-grant': { input: z.object({ ttlS: z.number(), id: z.number().int().exactOptional() }), output: withRevision({ id: z.number().int(), ttlS: z.number() }) },
  'lease-revoke': { input: z.object({ id: z.number().int(), revision: revision.exactOptional() }), output: withRevision({}) },
  'lease-keepalive': anything,
  'lease-ttl': anything,
  'lease-leases': anything,
  alarm: anything,
  status: anything,
  'hash-kv': anything,
  defragment: anything,
};
