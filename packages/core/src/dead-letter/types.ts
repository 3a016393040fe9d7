import type { ResolvedKqConf } from '../conf/kq-conf.js';
import type { MessageHeaders } from '../transport/types.js';

/** One conf's dead-letter topic, as the server asks a sink to check it at start. */
export interface DeadLetterTarget {
  readonly conf: ResolvedKqConf;
  /** The dead-letter topic (`conf.deadLetter.topic`). */
  readonly topic: string;
  /** Where the conf sits in the configuration, e.g. `kafkaConf[0]`. */
  readonly path: string;
}

/** A message that failed for good, as it is written to its dead-letter topic. */
export interface DeadLetter {
  /** The conf whose message it was: the sink writes with its brokers and credentials. */
  readonly conf: ResolvedKqConf;
  readonly topic: string;
  /** The original key, byte for byte. */
  readonly key: Buffer | null;
  /** The original value, byte for byte (an envelope stays wrapped). */
  readonly value: Buffer | null;
  /** The original headers and the `tasks.dlq.*` ones (see `deadLetterHeaders`). */
  readonly headers: MessageHeaders;
}

/**
 * Where dead letters go: a transport supplies one (`Transport.deadLetters`),
 * or the server is given one (`TaskServerOptions.deadLetters.sink`). Core
 * never talks to a broker itself.
 */
export interface DeadLetterSink {
  /**
   * Called once per conf with dead letters on, at start, before anything is
   * consumed. Rejects when the topic cannot be written (it does not exist and
   * may not be created): the server stops and names the conf and the topic.
   */
  prepare(target: DeadLetterTarget): Promise<void>;
  /**
   * Writes one letter and resolves once the broker acknowledged it (every
   * in-sync replica). Rejects when it could not; the server holds the
   * message's partition and tries again.
   */
  send(letter: DeadLetter): Promise<void>;
  /** Releases what the sink holds (producers); called once, when the server stopped. */
  close(): Promise<void>;
}

/** A message whose dead letter could not be written yet: its partition holds there. */
export interface HeldDeadLetter {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly deadLetterTopic: string;
  /** When the first write failed, ms since the epoch. */
  readonly since: number;
  /** Writes tried so far. */
  readonly attempts: number;
  /** The last write's error message. */
  readonly error: string;
}

/** How long the server waits between two writes of a dead letter that failed. */
export interface DeadLetterBackoff {
  /** Delay after the first failed write; doubles each time, with jitter. Default 500 ms. */
  readonly initialDelayMs?: number;
  /** Cap on the delay. Default 30 s. */
  readonly maxDelayMs?: number;
}
