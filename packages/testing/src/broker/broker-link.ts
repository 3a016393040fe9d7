import type { ConsumerGroup } from './consumer-group.js';
import type { FakeTopic } from './topic.js';
import type { ProduceRecord, RecordMetadata } from './types.js';

/** What a fake transport reaches into the broker for. Internal to this package. */
export interface BrokerLink {
  /** The topic a consumer subscribes to; auto-created if the broker allows it. */
  topicForConsumer(name: string): FakeTopic;
  /** The group, created on first use. */
  group(id: string): ConsumerGroup;
  /** A member id unique within the broker, prefixed with the client id. */
  nextMemberId(clientId: string): string;
  /** A client id unique within the broker. */
  nextClientId(): string;
  /** Writes records as `FakeBroker.produce` does. */
  produce(
    topic: string,
    records: ProduceRecord | readonly ProduceRecord[],
  ): Promise<RecordMetadata[]>;
}
