import type { ITaskFactory } from '@tasks/core';
import { newProcessOrderTask } from './order-task.js';
import { newPaymentTask } from './payment-task.js';
import type { WorkerServices } from './services.js';

/** The worker's `FuncRegister`, as in the seed: one `gen` per task key. */
export function registerTasks(factory: ITaskFactory<WorkerServices>): void {
  factory.gen('order', newProcessOrderTask);
  factory.gen('payment', newPaymentTask);
}
