import { ConfigError } from '@tasks/core';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`): the hash
 * the Java client's default partitioner applies to a record key. Returns the
 * signed 32-bit result, as Java does.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The Java switch falls through from 3 to 2 to 1.
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not `Math.abs`, which overflows). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/**
 * The partition the Java client's default partitioner picks for a keyed
 * record: `toPositive(murmur2(key)) % partitions`. A string key is hashed as
 * its UTF-8 bytes.
 */
export function partitionForKey(key: string | Uint8Array, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new ConfigError([
      { path: 'partitions', message: `must be a whole number >= 1, got ${partitions}` },
    ]);
  }
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return toPositive(murmur2(bytes)) % partitions;
}
