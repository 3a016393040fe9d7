/** The sample's services, handed to tasks through `withObject` / `serverCtx.object()`. */
export class Ledger {
  readonly #orders = new Map<string, number>();
  readonly #payments = new Map<string, number>();

  recordOrder(orderId: string, totalCents: number): void {
    this.#orders.set(orderId, totalCents);
  }

  recordPayment(orderId: string, amountCents: number): void {
    this.#payments.set(orderId, (this.#payments.get(orderId) ?? 0) + amountCents);
  }

  get orders(): number {
    return this.#orders.size;
  }

  get payments(): number {
    return this.#payments.size;
  }
}

export interface WorkerServices {
  readonly ledger: Ledger;
}
