import { describeTransportContract } from '@tasks/testing/contract';
import { createKafkaHarness } from './helpers/kafka-harness.js';

// The same assertions as the fake broker's, on a real one.
describeTransportContract('kafka (kafkajs)', () => createKafkaHarness(), {
  timeoutMs: 30_000,
  pollMs: 10,
  testTimeoutMs: 90_000,
});
