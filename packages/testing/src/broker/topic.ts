import { ErrorCodes, TransportError } from '@tasks/core';
import { PartitionLog } from './partition-log.js';
import { partitionForKey } from './partitioner.js';

/** A topic: a fixed number of partition logs and the producer-side partition choice. */
export class FakeTopic {
  readonly name: string;
  readonly partitions: readonly PartitionLog[];
  #roundRobin = 0;

  constructor(name: string, partitionCount: number) {
    this.name = name;
    this.partitions = Array.from({ length: partitionCount }, () => new PartitionLog());
  }

  get partitionCount(): number {
    return this.partitions.length;
  }

  log(partition: number): PartitionLog {
    const log = this.partitions[partition];
    if (!log) throw this.#noSuchPartition(partition);
    return log;
  }

  /**
   * The partition a record goes to, as the Java client decides: the explicit
   * one, else murmur2 of the key, else round robin (Kafka's default is sticky
   * for keyless records; round robin is as valid and easier to reason about).
   */
  choosePartition(key: Buffer | null, explicit: number | undefined): number {
    if (explicit !== undefined) {
      if (!Number.isInteger(explicit) || explicit < 0 || explicit >= this.partitionCount) {
        throw this.#noSuchPartition(explicit);
      }
      return explicit;
    }
    if (key !== null) return partitionForKey(key, this.partitionCount);
    const partition = this.#roundRobin % this.partitionCount;
    this.#roundRobin += 1;
    return partition;
  }

  #noSuchPartition(partition: number): TransportError {
    return new TransportError(
      ErrorCodes.PushFailed,
      `topic "${this.name}" has no partition ${partition}: it has ${this.partitionCount} (0-${this.partitionCount - 1})`,
    );
  }
}
