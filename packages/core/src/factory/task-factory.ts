import { ConfigError } from '../errors/index.js';
import type { FuncCreateTask, ITaskFactory, ITaskServerCtx, TaskOptions } from '../task/types.js';

export interface TaskRegistration<T = unknown> {
  readonly key: string;
  readonly create: FuncCreateTask<T>;
  readonly options: TaskOptions;
}

/** The seed's task factory: remembers which task key builds which task. */
export class TaskFactory<T = unknown> implements ITaskFactory<T> {
  readonly serverCtx: ITaskServerCtx<T>;
  readonly #registrations: TaskRegistration<T>[] = [];

  constructor(serverCtx: ITaskServerCtx<T>) {
    this.serverCtx = serverCtx;
  }

  gen(key: string, create: FuncCreateTask<T>, options: TaskOptions = {}): void {
    if (typeof key !== 'string' || key.length === 0) {
      throw new ConfigError([
        { path: 'gen.key', message: `must be a non-empty string, got ${String(key)}` },
      ]);
    }
    if (typeof create !== 'function') {
      throw new ConfigError([
        { path: `gen("${key}").create`, message: 'must be a function (topic, serverCtx) => ITask' },
      ]);
    }
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs >= 0)) {
      throw new ConfigError([
        {
          path: `gen("${key}").options.timeoutMs`,
          message: `must be a whole number of ms, 0 or more, got ${String(timeoutMs)}`,
        },
      ]);
    }
    this.#registrations.push({ key, create, options });
  }

  /** Every `gen` call in order, duplicates included (the server rejects those at start). */
  registrations(): readonly TaskRegistration<T>[] {
    return this.#registrations;
  }
}

export function newTaskFactory<T>(serverCtx: ITaskServerCtx<T>): TaskFactory<T> {
  return new TaskFactory(serverCtx);
}
