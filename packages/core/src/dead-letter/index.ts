export {
  type DeadLetterFacts,
  DeadLetterHeaders,
  deadLetterHeaderPrefix,
  deadLetterHeaders,
  isDeadLetterHeader,
  maxErrorMessageLength,
  replayCountHeader,
} from './headers.js';
export {
  checkReplayOptions,
  type DeadLetterInfo,
  matchesReplayFilter,
  planReplay,
  type ReplayEntry,
  type ReplayFilter,
  type ReplayOptions,
  type ReplayResult,
  readDeadLetter,
  replayMessage,
} from './replay.js';
export type {
  DeadLetter,
  DeadLetterBackoff,
  DeadLetterSink,
  DeadLetterTarget,
  HeldDeadLetter,
} from './types.js';
export {
  DeadLetterWriter,
  deadLetterBackoffDefaults,
  type LetterSource,
  resolveDeadLetterBackoff,
} from './writer.js';
