import { ErrorCodes, type Transport, TransportError } from '@tasks/core';
import { FakeBroker } from '../broker/fake-broker.js';
import type { FakeBrokerOptions } from '../broker/options.js';
import { replayFakeDeadLetters } from '../dead-letter/replay.js';
import { uniqueName } from '../helpers/unique-name.js';
import { FakeTransport } from '../transport/fake-transport.js';
import type { FakeTransportOptions } from '../transport/options.js';
import type { TransportHarness } from './types.js';

/** Options of `createFakeHarness`. */
export interface FakeHarnessOptions {
  /** Broker options; topics are created explicitly by the suite either way. */
  readonly broker?: FakeBrokerOptions;
  /** Options of every transport `newTransport` makes. */
  readonly transport?: FakeTransportOptions;
}

/** The contract harness over a fresh `FakeBroker` (exposed as `broker`). */
export interface FakeHarness extends TransportHarness {
  readonly broker: FakeBroker;
}

/** A `TransportHarness` backed by an in-memory `FakeBroker`. */
export function createFakeHarness(options: FakeHarnessOptions = {}): FakeHarness {
  const broker = new FakeBroker(options.broker);
  return {
    broker,
    brokers: broker.brokers,
    async createTopic(topic, partitions) {
      broker.createTopic(topic, { partitions });
    },
    async produce(topic, messages) {
      await broker.produce(topic, messages);
    },
    newTransport: () => broker.transport(options.transport),
    async committedOffsets(group, topic) {
      const out = new Map<number, string>();
      for (const [partition, offset] of broker.committedOffsets(group, topic)) {
        out.set(partition, String(offset));
      }
      return out;
    },
    async crash(transport: Transport) {
      if (!(transport instanceof FakeTransport)) {
        throw new TransportError(
          ErrorCodes.TransportFailed,
          `the fake harness can only crash transports it made, got "${transport.name}"`,
        );
      }
      await transport.crash();
    },
    async readTopic(topic) {
      return broker.messages(topic);
    },
    async refuseWrites(topic) {
      broker.refuseWrites(topic);
      return async () => broker.acceptWrites(topic);
    },
    replay: (topic, replayOptions) => replayFakeDeadLetters(broker, topic, replayOptions),
    uniqueName,
    async cleanup() {
      // Nothing outlives the broker object.
    },
  };
}
