import { createFakeHarness } from '@tasks/testing';
import { describeTransportContract } from '@tasks/testing/contract';

describeTransportContract('fake broker', () => createFakeHarness(), { timeoutMs: 5_000 });

describeTransportContract(
  'fake broker, committing on an interval',
  () => createFakeHarness({ transport: { commitIntervalMs: 5 } }),
  { timeoutMs: 5_000 },
);
