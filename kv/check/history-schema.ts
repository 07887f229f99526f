/**
 * zod schemas of the etcd history operations (kv/check/etcd-model.ts documents the shapes): what
 * `raftsim check <file> --model etcd` accepts, line by line, with a precise message for a bad
 * field (`input.compare[0].target: expected "VALUE"|…`).
 *
 * Methods the model does not check (lease keepalive, status, …) are accepted with any input and
 * output, so a run's whole history can be given as it is.
 */
import { z } from 'zod';
import type { OperationSchemas } from '../../sim/check/history-file.js';

const revision = z.number().int();

export const keyValueSchema = z.strictObject({
  key: z.string(),
  createRevision: revision,
  modRevision: revision,
  version: z.number().int(),
  value: z.string(),
  lease: z.number().int(),
});

const sortOrder = z.enum(['NONE', 'ASCEND', 'DESCEND']);
const sortTarget = z.enum(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);

export const rangeRequestSchema = z.strictObject({
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

export const putRequestSchema = z.strictObject({
  key: z.string(),
  value: z.string(),
  lease: z.number().int().exactOptional(),
  prevKv: z.boolean().exactOptional(),
  ignoreValue: z.boolean().exactOptional(),
  ignoreLease: z.boolean().exactOptional(),
});

export const deleteRequestSchema = z.strictObject({
  key: z.string(),
  rangeEnd: z.string().exactOptional(),
  prevKv: z.boolean().exactOptional(),
});

const compareResult = z.enum(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']);
const compareBase = { result: compareResult, key: z.string(), rangeEnd: z.string().exactOptional() };

export const compareSchema = z.discriminatedUnion('target', [
  z.strictObject({ target: z.literal('VALUE'), ...compareBase, value: z.string() }),
  z.strictObject({ target: z.literal('VERSION'), ...compareBase, version: z.number().int() }),
  z.strictObject({ target: z.literal('CREATE'), ...compareBase, createRevision: revision }),
  z.strictObject({ target: z.literal('MOD'), ...compareBase, modRevision: revision }),
  z.strictObject({ target: z.literal('LEASE'), ...compareBase, lease: z.number().int() }),
]);

const rangeResponseSchema = z.strictObject({ kvs: z.array(keyValueSchema), more: z.boolean(), count: z.number().int() });
const putResponseSchema = z.strictObject({ prevKv: keyValueSchema.exactOptional() });
const deleteResponseSchema = z.strictObject({ deleted: z.number().int(), prevKvs: z.array(keyValueSchema) });

// Txns nest: the schemas refer to themselves through getters (zod v4's recursive objects).
export const txnRequestSchema = z.strictObject({
  compare: z.array(compareSchema),
  get success() {
    return z.array(requestOpSchema);
  },
  get failure() {
    return z.array(requestOpSchema);
  },
});

const requestOpSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('range'), request: rangeRequestSchema }),
  z.strictObject({ type: z.literal('put'), request: putRequestSchema }),
  z.strictObject({ type: z.literal('delete'), request: deleteRequestSchema }),
  z.strictObject({
    type: z.literal('txn'),
    get request() {
      return txnRequestSchema;
    },
  }),
]);

export const txnResponseSchema = z.strictObject({
  succeeded: z.boolean(),
  get responses() {
    return z.array(responseOpSchema);
  },
});

const responseOpSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('range'), response: rangeResponseSchema }),
  z.strictObject({ type: z.literal('put'), response: putResponseSchema }),
  z.strictObject({ type: z.literal('delete'), response: deleteResponseSchema }),
  z.strictObject({
    type: z.literal('txn'),
    get response() {
      return txnResponseSchema;
    },
  }),
]);

const withRevision = <T extends z.ZodRawShape>(shape: T) => z.strictObject({ revision, ...shape });
const anything = { input: z.unknown(), output: z.unknown() };

export const etcdSchemas: OperationSchemas = {
  range: { input: rangeRequestSchema, output: withRevision(rangeResponseSchema.shape) },
  put: { input: putRequestSchema, output: withRevision(putResponseSchema.shape) },
  delete: { input: deleteRequestSchema, output: withRevision(deleteResponseSchema.shape) },
  txn: { input: txnRequestSchema, output: withRevision({ succeeded: z.boolean(), responses: z.array(responseOpSchema) }) },
  compact: { input: z.strictObject({ revision, physical: z.boolean().exactOptional() }), output: withRevision({}) },
  'lease-grant': { input: z.strictObject({ ttlS: z.number(), id: z.number().int().exactOptional() }), output: withRevision({ id: z.number().int(), ttlS: z.number() }) },
  'lease-revoke': { input: z.strictObject({ id: z.number().int(), revision: revision.exactOptional() }), output: withRevision({}) },
  'lease-keepalive': anything,
  'lease-ttl': anything,
  'lease-leases': anything,
  alarm: anything,
  status: anything,
  'hash-kv': anything,
  defragment: anything,
};
