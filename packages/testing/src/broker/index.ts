export { FakeBroker } from './fake-broker.js';
export {
  type FakeBrokerOptions,
  fakeBrokerDefaults,
  type ResolvedFakeBrokerOptions,
} from './options.js';
export { murmur2, partitionForKey } from './partitioner.js';
export type { GroupMemberInfo, ProduceRecord, RecordMetadata } from './types.js';
