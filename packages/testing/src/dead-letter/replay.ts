import {
  checkReplayOptions,
  planReplay,
  type ReplayEntry,
  type ReplayOptions,
  type ReplayResult,
} from '@tasks/core';
import type { FakeBroker } from '../broker/fake-broker.js';

/**
 * Replays a dead-letter topic of a `FakeBroker` as `@tasks/kafka`'s
 * `replayDeadLetters` does on Kafka: every letter up to the end offsets taken
 * at the start that matches `options.filter` goes back to its original topic
 * with its original key, value and headers and `tasks.replay.count` one
 * higher. Nothing is remembered between two calls.
 */
export async function replayFakeDeadLetters(
  broker: FakeBroker,
  topic: string,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  checkReplayOptions(topic, options);
  const ends = broker.endOffsets(topic);
  const dryRun = options.dryRun === true;
  let scanned = 0;
  let matched = 0;
  let sent = 0;
  let notDeadLetters = 0;
  const endOffsets: Record<number, string> = {};
  for (const [partition, end] of ends) {
    endOffsets[partition] = String(end);
    for (const record of broker.messages(topic, partition).slice(0, end)) {
      scanned += 1;
      const plan = planReplay(record, options.filter);
      if (plan === 'not-a-dead-letter') {
        notDeadLetters += 1;
        continue;
      }
      if (plan === undefined) continue;
      matched += 1;
      if (!dryRun) {
        await broker.send(plan.message);
        sent += 1;
      }
      const entry: ReplayEntry = { ...plan.entry, sent: !dryRun };
      options.onLetter?.(entry);
    }
  }
  return { topic, dryRun, scanned, matched, sent, notDeadLetters, endOffsets };
}
