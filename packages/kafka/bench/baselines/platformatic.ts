import {
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializers,
} from '@platformatic/kafka';
import { BenchError } from '../lib/bench-error.ts';
import { uniqueName } from '../lib/kafka.ts';
import { Meter, type Rate } from '../lib/meter.ts';

export interface PlatformaticRun {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly messages: number;
  readonly maxWaitMs: number;
}

/**
 * The fetch and group settings of the raw kafkajs contenders, which run with
 * kafkajs's consumer defaults: at least 1 byte, at most 10 MiB per fetch and
 * 1 MiB per partition, a 30 s session with a heartbeat every 3 s, read
 * committed. The caps matter: with @platformatic/kafka's own defaults (50 MiB
 * for the fetch and, unset, for each partition) each message cost about twice
 * the CPU (about 5 us against 2.4 us, 2026-12-02, this machine, the rest of
 * the settings alike).
 */
export const platformaticSettings = {
  minBytes: 1,
  maxBytes: 10 * 1024 * 1024,
  maxBytesPerPartition: 1024 * 1024,
  sessionTimeout: 30_000,
  heartbeatInterval: 3_000,
  /**
   * The client's own auto-commit: the stream commits the offsets of each fetch
   * response once it has handed its messages on, as kafkajs's auto-commit
   * commits after every batch.
   */
  autocommit: true,
  /** The client's default: the messages its stream holds before it stops fetching. */
  highWaterMark: 1024,
} as const;

const timeoutMs = 300_000;
const closeMs = 30_000;

/**
 * A raw `@platformatic/kafka` consumer: one group member, its `consume()`
 * stream read in flowing mode (a `data` listener, as the client's README and
 * its own consumer benchmark read it). Key and value come decoded to strings
 * by the client's `stringDeserializers`, as the task contract hands them to
 * `task.run` (the raw kafkajs loops decode nothing). The stream's async
 * iterator, the README's other way, cost about 40% more CPU per message here
 * (3.6-4.0 us against 2.3-2.9 us, three alternating rounds of 600,000
 * records), so flowing mode is the reference.
 */
export async function rawPlatformatic(run: PlatformaticRun): Promise<Rate> {
  const { autocommit, highWaterMark, ...fetch } = platformaticSettings;
  const consumer = new Consumer({
    clientId: 'bench',
    groupId: uniqueName('bench-platformatic'),
    bootstrapBrokers: [...run.brokers],
    deserializers: stringDeserializers,
    maxWaitTime: run.maxWaitMs,
    highWaterMark,
    ...fetch,
  });
  let rate: Rate;
  try {
    // Where the group committed, else from the start: kafkajs's `fromBeginning`.
    const stream = await consumer.consume({
      topics: [run.topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit,
    });
    const meter = new Meter(run.messages);
    const failed = Promise.withResolvers<never>();
    stream.on('error', (error) => failed.reject(error));
    stream.on('data', () => {
      meter.tick();
    });
    rate = await Promise.race([meter.rate(timeoutMs), failed.promise]);
  } catch (error) {
    // The first failure is the one to report; the close only must not hang.
    await closeWithin(consumer).catch(() => undefined);
    if (error instanceof BenchError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new BenchError(`@platformatic/kafka: ${reason}`, { cause: error });
  }
  await closeWithin(consumer);
  return rate;
}

/**
 * Leaves the group and closes the stream (whose close sends the last
 * commit) and the connections; a close that hangs fails the run.
 */
async function closeWithin(consumer: Consumer<string, string, string, string>): Promise<void> {
  const late = Promise.withResolvers<never>();
  const timer = setTimeout(
    () => late.reject(new BenchError(`@platformatic/kafka: not closed within ${closeMs} ms`)),
    closeMs,
  );
  try {
    await Promise.race([consumer.close(true), late.promise]);
  } finally {
    clearTimeout(timer);
  }
}
