import type { PartitionState } from './partition-state.js';
import type { InboundMessage } from './types.js';

/** A message accepted under `ordering: 'key'` while a run of its key was in flight. */
export interface ParkedRun {
  readonly state: PartitionState;
  readonly generation: number;
  /** Its ledger entry: begun when parked, so the commit never passes it. */
  readonly seq: number;
  readonly message: InboundMessage;
}

/** The lane a message runs in: its key's bytes, or `null` for every keyless message. */
export type LaneKey = string | null;

export function laneKeyOf(message: InboundMessage): LaneKey {
  // latin1 maps each byte to one code unit: distinct keys stay distinct.
  return message.key === null ? null : message.key.toString('latin1');
}

/**
 * One partition's keys with a run in flight, each with the messages of that
 * key accepted after it, in offset order. A key is busy from the start of a
 * run until the last of its parked messages finished.
 */
export class KeyLanes {
  readonly #lanes = new Map<LaneKey, ParkedRun[]>();

  /** Marks `key` busy and returns true if it was free. */
  acquire(key: LaneKey): boolean {
    if (this.#lanes.has(key)) return false;
    this.#lanes.set(key, []);
    return true;
  }

  isBusy(key: LaneKey): boolean {
    return this.#lanes.has(key);
  }

  /** Queues `run` behind the busy `key`. */
  park(key: LaneKey, run: ParkedRun): void {
    this.#lanes.get(key)!.push(run);
  }

  /**
   * A run of `key` ended: returns the next parked run of that key (the key
   * stays busy for it), or frees the key and returns undefined.
   */
  release(key: LaneKey): ParkedRun | undefined {
    const queue = this.#lanes.get(key);
    if (queue === undefined) return undefined;
    const next = queue.shift();
    if (next === undefined) this.#lanes.delete(key);
    return next;
  }

  /** Drops every parked run (revoked) and returns how many; keys with a run in flight stay busy. */
  dropParked(): number {
    let dropped = 0;
    for (const queue of this.#lanes.values()) {
      dropped += queue.length;
      queue.length = 0;
    }
    return dropped;
  }

  /** Keys with a run in flight. */
  get busy(): number {
    return this.#lanes.size;
  }
}
