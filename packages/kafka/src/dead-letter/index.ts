export { KafkaDeadLetterSink } from './kafka-dead-letter-sink.js';
export { type KafkaReplayOptions, replayDeadLetters } from './replay.js';
