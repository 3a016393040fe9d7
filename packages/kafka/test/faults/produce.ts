import { silentLogger } from '@tasks/core';
import { KafkaPusher } from '@tasks/kafka';
import { faultBrokers } from './cluster.js';

/** Pushes ids 0..count-1 (keyed by id) and waits for every one to be acknowledged. */
export async function produceIds(topic: string, count: number, prefix = ''): Promise<string[]> {
  const pusher = new KafkaPusher({
    brokers: faultBrokers(),
    topic,
    logger: silentLogger,
    flushIntervalMs: 20,
  });
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  try {
    await Promise.all(ids.map((id) => pusher.push(id, { key: id })));
  } finally {
    await pusher.close();
  }
  return ids;
}
