import type { Transport, TransportEvent } from '@tasks/core';
import { type WaitForOptions, waitFor } from './wait-for.js';

const slot = (group: string, topic: string) => `${group}\u0000${topic}`;

/**
 * Follows a transport's `assigned` / `revoked` / `committed` events, so a
 * test can ask which partitions it owns and wait for an assignment, on any
 * transport (fake or real).
 */
export class AssignmentTracker {
  readonly #owned = new Map<string, Set<number>>();
  readonly #committed = new Map<string, Map<number, string>>();
  readonly #events: TransportEvent[] = [];
  readonly #unsubscribe: () => void;

  constructor(transport: Pick<Transport, 'onEvent'>) {
    this.#unsubscribe = transport.onEvent((event) => this.#record(event));
  }

  /** Every event so far, in order. */
  get events(): readonly TransportEvent[] {
    return this.#events;
  }

  /** Partitions of `topic` the transport owns for `group` now, ascending. */
  partitions(group: string, topic: string): number[] {
    return [...(this.#owned.get(slot(group, topic)) ?? [])].sort((a, b) => a - b);
  }

  /** The last offset the transport reported committing, per partition. */
  committed(group: string, topic: string): Map<number, string> {
    return new Map(this.#committed.get(slot(group, topic)) ?? []);
  }

  /** Errors the transport reported. */
  errors(): Error[] {
    return this.#events.flatMap((e) => (e.type === 'error' ? [e.error] : []));
  }

  /** Resolves with the owned partitions once there are at least `count` (default 1). */
  async waitForAssignment(
    group: string,
    topic: string,
    options: WaitForOptions & { readonly count?: number } = {},
  ): Promise<number[]> {
    const count = options.count ?? 1;
    await waitFor(() => this.partitions(group, topic).length >= count, {
      message: `${count} partition(s) of "${topic}" assigned for group "${group}"`,
      describe: () => `owned [${this.partitions(group, topic).join(', ')}]`,
      ...options,
    });
    return this.partitions(group, topic);
  }

  /** Stops following the transport. */
  dispose(): void {
    this.#unsubscribe();
  }

  #record(event: TransportEvent): void {
    this.#events.push(event);
    if (event.type === 'error') return;
    const key = slot(event.group, event.topic);
    if (event.type === 'committed') {
      let offsets = this.#committed.get(key);
      if (!offsets) {
        offsets = new Map();
        this.#committed.set(key, offsets);
      }
      offsets.set(event.partition, event.offset);
      return;
    }
    let owned = this.#owned.get(key);
    if (!owned) {
      owned = new Set();
      this.#owned.set(key, owned);
    }
    for (const p of event.partitions) {
      if (event.type === 'assigned') owned.add(p);
      else owned.delete(p);
    }
  }
}

/** Starts following `transport`'s partition events. */
export function trackAssignments(transport: Pick<Transport, 'onEvent'>): AssignmentTracker {
  return new AssignmentTracker(transport);
}
