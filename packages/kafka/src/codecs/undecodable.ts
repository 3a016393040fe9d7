import { MessageError } from '@tasks/core';

/**
 * A batch whose records could not be decompressed. Its partition holds at
 * `offset`: nothing at or after it runs or is committed until it is fixed.
 */
export class UndecodableBatchError extends MessageError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly codec: string;

  constructor(at: {
    topic: string;
    partition: number;
    offset: string;
    codec: string;
    reason: string;
  }) {
    super(
      `cannot decode the ${at.codec} batch of ${at.topic}[${at.partition}] at offset ${at.offset}: ${at.reason}; the partition holds there (its records are neither run nor committed)`,
      { retriable: false },
    );
    this.topic = at.topic;
    this.partition = at.partition;
    this.offset = at.offset;
    this.codec = at.codec;
  }
}

/**
 * The header of the stand-in records a batch we could not decompress is
 * replaced with (see `codecs/registry.ts`); the fetch loop turns the first
 * one into an `UndecodableBatchError` and holds the partition there.
 */
export const undecodableHeader = 'x-tasks-undecodable';

export interface UndecodableMark {
  readonly codec: string;
  readonly reason: string;
}

/** The codec and reason a stand-in record carries, or undefined for a real record. */
export function readUndecodableMark(value: Buffer | undefined): UndecodableMark | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value.toString('utf8')) as Partial<UndecodableMark>;
    return { codec: String(parsed.codec), reason: String(parsed.reason) };
  } catch {
    return { codec: 'unknown', reason: value.toString('utf8') };
  }
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = zigzag(value);
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function varBytes(data: Buffer | null): Buffer {
  return data === null ? varint(-1) : Buffer.concat([varint(data.length), data]);
}

/**
 * `count` records in Kafka's v2 record format (offset deltas 0..count-1, no
 * key, no value, one header carrying `mark`), as the decompressed body of a
 * record batch. kafkajs decodes them like any other records.
 */
export function standInRecords(count: number, mark: UndecodableMark): Buffer {
  const name = Buffer.from(undecodableHeader, 'utf8');
  const value = Buffer.from(JSON.stringify(mark), 'utf8');
  const records: Buffer[] = [];
  for (let delta = 0; delta < count; delta += 1) {
    const body = Buffer.concat([
      Buffer.from([0]), // attributes
      varint(0), // timestamp delta
      varint(delta),
      varBytes(null), // key
      varBytes(null), // value
      varint(1), // one header
      varBytes(name),
      varBytes(value),
    ]);
    records.push(varint(body.length), body);
  }
  return Buffer.concat(records);
}
