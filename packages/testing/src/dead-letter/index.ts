export { FakeDeadLetterSink } from './fake-dead-letter-sink.js';
export { replayFakeDeadLetters } from './replay.js';
