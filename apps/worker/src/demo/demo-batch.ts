/** One demo task: which task key it is for, its message key and value. */
export interface DemoTask {
  readonly taskKey: 'order' | 'payment';
  readonly key: string;
  readonly value: string;
}

/**
 * `count` demo tasks, alternating orders and their payments. With `invalid`,
 * that many of them carry a broken payload, to show the error handler at work.
 */
export function demoBatch(count: number, invalid = 0): DemoTask[] {
  const tasks: DemoTask[] = [];
  for (let i = 0; i < count; i++) {
    const orderId = `order-${Math.floor(i / 2) + 1}`;
    const broken = i >= count - invalid;
    if (i % 2 === 0) {
      const value = JSON.stringify({
        orderId,
        items: [
          { sku: `sku-${i % 7}`, qty: 1 + (i % 3), priceCents: 1999 },
          { sku: 'gift-wrap', qty: 1, priceCents: 299 },
        ],
      });
      tasks.push({ taskKey: 'order', key: orderId, value: broken ? value.slice(0, -3) : value });
    } else {
      const amountCents = broken ? -1 : (1 + (i % 3)) * 1999 + 299;
      tasks.push({
        taskKey: 'payment',
        key: orderId,
        value: JSON.stringify({ orderId, amountCents }),
      });
    }
  }
  return tasks;
}
