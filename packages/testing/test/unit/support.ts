import {
  type InboundMessage,
  type KqConf,
  type MessageHandler,
  type ResolvedKqConf,
  resolveKqConf,
} from '@tasks/core';
import type { FakeBroker } from '@tasks/testing';

/** A resolved conf on the fake broker; `offset` defaults to `first`. */
export function confFor(
  broker: FakeBroker,
  topic: string,
  group: string,
  extra: Partial<KqConf> = {},
): ResolvedKqConf {
  return resolveKqConf({ offset: 'first', ...extra, brokers: [...broker.brokers], topic, group });
}

/** Records what a raw transport handler received; `then` decides how each is handled. */
export function recorder(
  then: (message: InboundMessage) => void | Promise<void> = () => undefined,
): {
  readonly received: InboundMessage[];
  readonly finished: InboundMessage[];
  readonly handler: MessageHandler;
  values(): string[];
} {
  const received: InboundMessage[] = [];
  const finished: InboundMessage[] = [];
  return {
    received,
    finished,
    handler: async (message) => {
      received.push(message);
      await then(message);
      finished.push(message);
    },
    values: () => received.map((m) => m.value?.toString('utf8') ?? ''),
  };
}

/** What `promise` rejected with; fails if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (thrown) {
    return thrown;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
