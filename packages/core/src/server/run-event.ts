import type { TaskRunError } from '../errors/index.js';
import type { InboundMessage } from '../transport/types.js';

/** What became of one attempt at one message. */
export type RunOutcome =
  /** The task finished; the message may be committed. */
  | 'succeeded'
  /**
   * The task failed for good; the error handler saw it, its dead letter (if
   * on) was written, and the message may be committed.
   */
  | 'failed'
  /** The attempt failed and the message will be tried again. */
  | 'retrying'
  /** The server stopped first; the message stays uncommitted for the next owner. */
  | 'abandoned';

export interface RunEvent {
  readonly outcome: RunOutcome;
  readonly taskKey: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly attempt: number;
  /** From the first attempt's start to this event (0 if no listener was there when it started). */
  readonly durationMs: number;
  /** The message itself (headers included), the same object on every attempt. */
  readonly message: InboundMessage;
  readonly error?: Error;
  readonly failure?: TaskRunError;
  /** On a `failed` event: the dead-letter topic the message was written to (absent when dead letters are off). */
  readonly deadLetterTopic?: string;
}

export type RunListener = (event: RunEvent) => void;
