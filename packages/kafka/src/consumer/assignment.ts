/** Partitions of one topic. */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface AssignmentChange {
  readonly assigned: readonly TopicPartitions[];
  readonly revoked: readonly TopicPartitions[];
}

function group(pairs: Iterable<readonly [string, number]>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const [topic, partition] of pairs) {
    const list = byTopic.get(topic) ?? [];
    list.push(partition);
    byTopic.set(topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({
    topic,
    partitions: partitions.sort((a, b) => a - b),
  }));
}

/**
 * The partitions a group member owns. Each rebalance hands it the new
 * assignment; it answers with what came and what went.
 */
export class Assignment {
  readonly #owned = new Map<string, Set<number>>();

  /** Replaces the assignment with `next` (kafkajs's `memberAssignment`). */
  update(next: Readonly<Record<string, readonly number[]>>): AssignmentChange {
    const assigned: Array<[string, number]> = [];
    const revoked: Array<[string, number]> = [];
    for (const [topic, partitions] of Object.entries(next)) {
      const owned = this.#owned.get(topic);
      for (const partition of partitions)
        if (!owned?.has(partition)) assigned.push([topic, partition]);
    }
    for (const [topic, owned] of this.#owned) {
      const kept = new Set(next[topic] ?? []);
      for (const partition of owned) if (!kept.has(partition)) revoked.push([topic, partition]);
    }
    this.#owned.clear();
    for (const [topic, partitions] of Object.entries(next)) {
      if (partitions.length > 0) this.#owned.set(topic, new Set(partitions));
    }
    return { assigned: group(assigned), revoked: group(revoked) };
  }

  /** Gives everything up (crash or stop); returns what was owned. */
  clear(): TopicPartitions[] {
    return this.update({}).revoked as TopicPartitions[];
  }

  /** The partitions of `topic` owned now, ascending. */
  partitionsOf(topic: string): number[] {
    return [...(this.#owned.get(topic) ?? [])].sort((a, b) => a - b);
  }

  has(topic: string, partition: number): boolean {
    return this.#owned.get(topic)?.has(partition) ?? false;
  }
}
