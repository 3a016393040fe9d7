import type { ITask, ITaskServerCtx, TaskContext } from '@tasks/core';
import { parseOrder } from './payloads.js';
import type { Ledger, WorkerServices } from './services.js';

/** The seed's `ProcessOrderTask`: prices an order and records it. */
export class ProcessOrderTask implements ITask {
  readonly #ledger: Ledger;

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
  }

  async run(ctx: TaskContext, _key: string, value: string): Promise<void> {
    const order = parseOrder(ctx, value);
    const total = order.items.reduce((sum, item) => sum + item.qty * item.priceCents, 0);
    this.#ledger.recordOrder(order.orderId, total);
  }

  stop(): void {}
}

export function newProcessOrderTask(
  _topic: string,
  serverCtx: ITaskServerCtx<WorkerServices>,
): ITask {
  return new ProcessOrderTask(serverCtx.object().ledger);
}
