import { NonRetriableError, type TaskContext } from '@tasks/core';

export interface OrderPayload {
  readonly orderId: string;
  readonly items: ReadonlyArray<{
    readonly sku: string;
    readonly qty: number;
    readonly priceCents: number;
  }>;
}

export interface PaymentPayload {
  readonly orderId: string;
  readonly amountCents: number;
}

function where(ctx: TaskContext): string {
  return `${ctx.topic}[${ctx.partition}]@${ctx.offset}`;
}

/** Parses a JSON payload; bad input is not worth retrying, so it fails for good with the reason. */
export function parseJson(ctx: TaskContext, value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new NonRetriableError(`${ctx.taskKey} message ${where(ctx)} is not JSON`, {
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new NonRetriableError(`${ctx.taskKey} message ${where(ctx)} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

export function parseOrder(ctx: TaskContext, value: string): OrderPayload {
  const raw = parseJson(ctx, value);
  if (typeof raw.orderId !== 'string' || raw.orderId.length === 0) {
    throw new NonRetriableError(
      `order message ${where(ctx)}: field "orderId" must be a non-empty string`,
    );
  }
  if (!Array.isArray(raw.items)) {
    throw new NonRetriableError(`order message ${where(ctx)}: field "items" must be an array`);
  }
  raw.items.forEach((item: unknown, i: number) => {
    const it = item as Record<string, unknown> | null;
    if (
      !it ||
      typeof it.sku !== 'string' ||
      !Number.isInteger(it.qty) ||
      !Number.isInteger(it.priceCents)
    ) {
      throw new NonRetriableError(
        `order message ${where(ctx)}: items[${i}] needs sku (string), qty and priceCents (integers)`,
      );
    }
  });
  return raw as unknown as OrderPayload;
}

export function parsePayment(ctx: TaskContext, value: string): PaymentPayload {
  const raw = parseJson(ctx, value);
  if (typeof raw.orderId !== 'string' || raw.orderId.length === 0) {
    throw new NonRetriableError(
      `payment message ${where(ctx)}: field "orderId" must be a non-empty string`,
    );
  }
  if (!Number.isInteger(raw.amountCents) || (raw.amountCents as number) <= 0) {
    throw new NonRetriableError(
      `payment message ${where(ctx)}: field "amountCents" must be a positive integer`,
    );
  }
  return raw as unknown as PaymentPayload;
}
