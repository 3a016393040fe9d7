/** A record to write to a fake topic; strings are written as UTF-8. */
export interface ProduceRecord {
  /** Decides the partition (murmur2) unless `partition` is set; `null` or absent means no key. */
  readonly key?: string | Buffer | null;
  /** `null` writes a tombstone. */
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** Pins the partition; it must exist. */
  readonly partition?: number;
  /** The record's create time in ms since the epoch; defaults to the broker's clock. */
  readonly timestamp?: number;
}

/** Where a produced record landed. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** Kafka's int64 offset, in decimal. */
  readonly offset: string;
  readonly timestamp: number;
}

/** One member of a consumer group, as the broker sees it. */
export interface GroupMemberInfo {
  readonly memberId: string;
  readonly topic: string;
  /** Partitions of `topic` the member owns now, ascending. */
  readonly partitions: readonly number[];
}

/** A record as a partition log stores it. */
export interface StoredRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
}
