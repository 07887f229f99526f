/**
 * The models `raftsim check --model` names, by name: the command and its worker threads
 * (check-worker.ts) look them up here, so a worker loads the models and nothing of the command.
 */
import { etcdSchemas } from '../../kv/check/history-schema.js';
import { etcdModel } from '../../kv/check/etcd-model.js';
import type { Operation } from '../../sim/history.js';
import type { OperationSchemas } from '../../sim/check/history-file.js';
import { kvModel, kvSchemas } from '../../sim/check/kv-model.js';
import type { Model } from '../../sim/check/model.js';
import { registerModel, registerSchemas } from '../../sim/check/register-model.js';

interface Checkable {
  // The models differ in state and operation types; the command only passes them through.
  readonly model: Model<unknown, Operation>;
  readonly schemas: OperationSchemas;
}

export const CHECK_MODELS = {
  register: { model: registerModel as unknown as Model<unknown, Operation>, schemas: registerSchemas },
  kv: { model: kvModel as unknown as Model<unknown, Operation>, schemas: kvSchemas },
  etcd: { model: etcdModel as unknown as Model<unknown, Operation>, schemas: etcdSchemas },
} as const satisfies Record<string, Checkable>;

export type CheckModelName = keyof typeof CHECK_MODELS;
