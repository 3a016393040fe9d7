export {
  type ClientRetryOptions,
  type CreateTopicsOptions,
  type KafkaClientOptions,
  type KafkaLogLevel,
  type KafkaSocketFactory,
  kafkaClientDefaults,
} from './client/client-options.js';
export { type Compression, compressions, UndecodableBatchError } from './codecs/index.js';
export {
  KafkaTransport,
  type KafkaTransportOptions,
  kafkaTransportDefaults,
  type ReconnectOptions,
} from './consumer/index.js';
export {
  KafkaDeadLetterSink,
  type KafkaReplayOptions,
  replayDeadLetters,
} from './dead-letter/index.js';
export {
  classifyKafkaError,
  type ErrorContext,
  isRebalanceError,
  toTransportError,
} from './errors/map-error.js';
export {
  type Acks,
  KafkaPusher,
  type KafkaPusherOptions,
  kafkaPusherDefaults,
  newTaskPusher,
  type PusherOptions,
  type PushOptions,
  TaskPusher,
  type TaskPusherOptions,
} from './pusher/index.js';
