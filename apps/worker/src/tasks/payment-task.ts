import type { ITask, ITaskServerCtx, TaskContext } from '@tasks/core';
import { parsePayment } from './payloads.js';
import type { Ledger, WorkerServices } from './services.js';

/** Records a payment against an order. */
export class PaymentTask implements ITask {
  readonly #ledger: Ledger;

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
  }

  async run(ctx: TaskContext, _key: string, value: string): Promise<void> {
    const payment = parsePayment(ctx, value);
    this.#ledger.recordPayment(payment.orderId, payment.amountCents);
  }

  stop(): void {}
}

export function newPaymentTask(_topic: string, serverCtx: ITaskServerCtx<WorkerServices>): ITask {
  return new PaymentTask(serverCtx.object().ledger);
}
