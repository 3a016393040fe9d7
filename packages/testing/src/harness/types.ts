import type { InboundMessage, ReplayOptions, ReplayResult, Transport } from '@tasks/core';

/** A message the contract suite produces. Strings are written as UTF-8. */
export interface HarnessMessage {
  /** `null` or absent: no key. */
  readonly key?: string | Buffer | null;
  /** `null`: a tombstone. */
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** Pins the partition; otherwise the default partitioner decides. */
  readonly partition?: number;
  /** The record's create time, ms since the epoch. */
  readonly timestamp?: number;
}

/**
 * What the transport contract suite needs from a broker. Implemented by
 * `createFakeHarness()` here and by the Kafka adapter's integration tests,
 * so the same assertions run against both.
 *
 * Requirements the suite relies on:
 * - `produce` writes the messages in order, resolves once the broker
 *   acknowledged all of them, uses the Java client's default partitioner for
 *   keyed messages (murmur2) and honours an explicit `partition`;
 * - a transport emits `assigned` only once it knows where it starts reading
 *   each partition (for `offset: 'last'`, after the end offset is resolved),
 *   so a message produced after the event is delivered;
 * - `committedOffsets` omits partitions the group never committed.
 */
export interface TransportHarness {
  /** Addresses for the confs the suite builds (`host:port`). */
  readonly brokers: readonly string[];
  /** Creates a topic with `partitions` partitions; resolves once it can be produced to and consumed. */
  createTopic(topic: string, partitions: number): Promise<void>;
  produce(topic: string, messages: readonly HarnessMessage[]): Promise<void>;
  /** A fresh transport, as a new worker process would make. The suite subscribes, starts and stops it. */
  newTransport(): Transport | Promise<Transport>;
  /**
   * The group's committed offsets on `topic` (the next offset to read, in
   * decimal) by partition; partitions without a commit are absent.
   */
  committedOffsets(group: string, topic: string): Promise<ReadonlyMap<number, string>>;
  /**
   * Kills a transport made by `newTransport` the way a crash would: nothing
   * more is committed, and its group membership ends (at once, or after the
   * session timeout).
   */
  crash(transport: Transport): Promise<void>;
  /**
   * Every record of `topic` written so far, by partition then offset. With
   * `refuseWrites` and `replay`, it lets the suite prove dead letters and
   * replay; a harness without them skips those cases.
   */
  readTopic?(topic: string): Promise<InboundMessage[]>;
  /**
   * Makes the broker refuse every write to `topic` until the returned
   * function is called (and resolves): a dead-letter topic that cannot be written.
   */
  refuseWrites?(topic: string): Promise<() => Promise<void>>;
  /** Replays a dead-letter topic with the adapter's replay function. */
  replay?(topic: string, options?: ReplayOptions): Promise<ReplayResult>;
  /** A name no other test uses, for topics and groups (`[a-zA-Z0-9._-]`). */
  uniqueName(prefix: string): string;
  /** Releases what the harness holds (clients, topics). Called once, after the suite. */
  cleanup(): Promise<void>;
}

/** Builds the harness the suite runs against; called once per suite. */
export type HarnessFactory = () => TransportHarness | Promise<TransportHarness>;
