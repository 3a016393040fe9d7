import type { ResolvedKqConf } from '../conf/kq-conf.js';
import type { DeadLetterSink } from '../dead-letter/types.js';

/** Kafka header values are bytes; a header sent twice keeps its last value. */
export type MessageHeaders = Readonly<Record<string, Buffer>>;

/** A message as a transport hands it to core. */
export interface InboundMessage {
  readonly topic: string;
  readonly partition: number;
  /** Kafka's int64 offset, in decimal. */
  readonly offset: string;
  /** Milliseconds since the epoch (the record's timestamp). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: MessageHeaders;
}

/**
 * Handles one message. Resolving means the message is finished and its offset
 * may be committed; rejecting means it was not processed (the server is
 * stopping), so the transport must never commit past it.
 */
export type MessageHandler = (message: InboundMessage) => Promise<void>;

/** What a transport reports that is not tied to one message. */
export type TransportEvent =
  | {
      readonly type: 'error';
      readonly error: Error;
      readonly group?: string;
      /** The transport logged it already (with its retry and backoff): listeners need not. */
      readonly logged?: boolean;
    }
  | {
      readonly type: 'assigned';
      readonly group: string;
      readonly topic: string;
      readonly partitions: readonly number[];
    }
  | {
      readonly type: 'revoked';
      readonly group: string;
      readonly topic: string;
      readonly partitions: readonly number[];
    }
  | {
      readonly type: 'committed';
      readonly group: string;
      readonly topic: string;
      readonly partition: number;
      readonly offset: string;
    };

export type TransportListener = (event: TransportEvent) => void;

/** A partition that reached `maxUncommitted`: nothing more of it starts until the watermark moves. */
export interface HeldPartition {
  readonly topic: string;
  readonly partition: number;
  /** The first offset begun and not finished: the run holding the watermark back. */
  readonly offset: string;
  /** When it reached the bound (epoch ms). */
  readonly since: number;
  /** Messages begun above the watermark now (what a crash would run again, at least). */
  readonly uncommitted: number;
}

/** Where one consumer (group member) is, for `TaskServer.status()`. Times are epoch ms. */
export interface ConsumerStatus {
  readonly group: string;
  readonly topic: string;
  /** In the group with an assignment, fetching. */
  readonly joined: boolean;
  readonly partitions: readonly number[];
  readonly lastFetchAt?: number;
  readonly lastCommitAt?: number;
  /** Set while the member lost its connection and is connecting again. */
  readonly reconnectingSince?: number;
  /** Finished runs whose offsets could not be committed (lost connection, failed final commit): they run again. */
  readonly uncommitted: number;
  /** A wait in progress (joining, rebalancing, reconnecting) and since when. */
  readonly waiting?: { readonly what: string; readonly since: number };
  /**
   * Partitions that reached the conf's `maxUncommitted`: paused (no more of
   * their messages start) until the run holding the watermark ends, and
   * listed until their ledger drained to half the bound. Optional for
   * transports written before it.
   */
  readonly heldPartitions?: readonly HeldPartition[];
}

/**
 * The seam between core and a message source. `@tasks/kafka` implements it
 * over kafkajs, `@tasks/testing` over an in-memory broker.
 *
 * Lifecycle: `subscribe` each conf, `start` once, `stop` once. `stop` stops
 * fetching, waits for every handler it started to settle, commits what
 * finished, and leaves the groups.
 */
export interface Transport {
  readonly name: string;
  subscribe(conf: ResolvedKqConf, handler: MessageHandler): void;
  start(): Promise<void>;
  /** Commits every finished, contiguous run of offsets now. */
  commit(): Promise<void>;
  stop(): Promise<void>;
  /** Listens to transport events; returns a function that removes the listener. */
  onEvent(listener: TransportListener): () => void;
  /** Where each consumer is now (optional: transports without groups may leave it out). */
  status?(): readonly ConsumerStatus[];
  /**
   * A sink that writes dead letters to the brokers each conf names (optional:
   * without one, a server whose confs have dead letters on needs
   * `deadLetters.sink`). Called once, at most, by the server's `start()`.
   */
  deadLetters?(): DeadLetterSink;
}
