export { KafkaTransport } from './kafka-transport.js';
export {
  type KafkaTransportOptions,
  kafkaTransportDefaults,
  type ReconnectOptions,
} from './options.js';
