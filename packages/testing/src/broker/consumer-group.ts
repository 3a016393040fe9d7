import { rangeAssign } from './range-assignor.js';
import type { GroupMemberInfo } from './types.js';

/** A partition handed to a member, with where the group left off on it. */
export interface PartitionStart {
  readonly partition: number;
  /** The group's committed offset (the next to read), or `undefined` if it never committed. */
  readonly committed: number | undefined;
}

/** What the group needs from a member: the two halves of a rebalance. */
export interface GroupMemberHandle {
  readonly memberId: string;
  readonly topic: string;
  /**
   * Partitions taken away. The member stops fetching them, commits what
   * finished, and forgets them; the group hands them on once this settles.
   */
  revoke(partitions: readonly number[]): Promise<void>;
  /** Partitions given: the member starts fetching each from its start. */
  assign(partitions: readonly PartitionStart[]): void;
}

interface Member {
  readonly handle: GroupMemberHandle;
  /** Join order: the assignor sorts members by it. */
  readonly seq: number;
  readonly owned: Set<number>;
}

/**
 * A consumer group with the eager protocol's ordering: on every join or
 * leave, partitions that move are first revoked from their owner (which
 * commits), and only then assigned to the new owner, which resumes from the
 * group's committed offset. Partitions that stay put are not interrupted.
 */
export class ConsumerGroup {
  readonly id: string;
  readonly #partitionCount: (topic: string) => number;
  readonly #members = new Map<string, Member>();
  readonly #committed = new Map<string, Map<number, number>>();
  #seq = 0;
  #generation = 0;
  #dirty = false;
  #rebalancing: Promise<void> | undefined;

  constructor(id: string, partitionCount: (topic: string) => number) {
    this.id = id;
    this.#partitionCount = partitionCount;
  }

  /** Bumped by every rebalance. */
  get generation(): number {
    return this.#generation;
  }

  /** Adds a member; resolves once the rebalance that includes it is done. */
  join(handle: GroupMemberHandle): Promise<void> {
    this.#members.set(handle.memberId, { handle, seq: this.#seq++, owned: new Set() });
    return this.#requestRebalance();
  }

  /**
   * Removes a member without asking it anything (it committed already, or it
   * crashed); its partitions go to the others. Resolves once they own them.
   */
  leave(memberId: string): Promise<void> {
    if (!this.#members.delete(memberId)) return Promise.resolve();
    return this.#requestRebalance();
  }

  /** Stores a commit if the member owns the partition now; false if it does not. */
  commit(memberId: string, topic: string, partition: number, offset: number): boolean {
    const member = this.#members.get(memberId);
    if (!member || member.handle.topic !== topic || !member.owned.has(partition)) return false;
    let offsets = this.#committed.get(topic);
    if (!offsets) {
      offsets = new Map();
      this.#committed.set(topic, offsets);
    }
    offsets.set(partition, offset);
    return true;
  }

  /** Committed offsets (the next offset to read) by partition; partitions never committed are absent. */
  committedOffsets(topic: string): Map<number, number> {
    return new Map([...(this.#committed.get(topic) ?? new Map<number, number>())].sort(byKey));
  }

  members(): GroupMemberInfo[] {
    return [...this.#members.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((m) => ({
        memberId: m.handle.memberId,
        topic: m.handle.topic,
        partitions: [...m.owned].sort((a, b) => a - b),
      }));
  }

  #requestRebalance(): Promise<void> {
    this.#dirty = true;
    this.#rebalancing ??= this.#rebalanceUntilStable();
    return this.#rebalancing;
  }

  async #rebalanceUntilStable(): Promise<void> {
    try {
      // Let joins and leaves of the same turn land in one rebalance.
      await Promise.resolve();
      while (this.#dirty) {
        this.#dirty = false;
        await this.#rebalance();
      }
    } finally {
      this.#rebalancing = undefined;
    }
  }

  async #rebalance(): Promise<void> {
    this.#generation += 1;
    const target = this.#targetAssignment();

    await Promise.all(
      [...this.#members.values()].map(async (member) => {
        const keep = new Set(target.get(member.handle.memberId) ?? []);
        const lost = [...member.owned].filter((p) => !keep.has(p)).sort((a, b) => a - b);
        if (lost.length === 0) return;
        // A member reports its own failures; the partitions move on regardless.
        await member.handle.revoke(lost).catch(() => undefined);
        for (const p of lost) member.owned.delete(p);
      }),
    );

    // Members that joined while revocations ran wait for the next round (#dirty is set).
    for (const member of this.#members.values()) {
      const wanted = target.get(member.handle.memberId);
      if (!wanted) continue;
      const gained = wanted.filter((p) => !member.owned.has(p) && !this.#ownedByOther(member, p));
      if (gained.length === 0) continue;
      for (const p of gained) member.owned.add(p);
      const offsets = this.#committed.get(member.handle.topic);
      member.handle.assign(
        gained.map((partition) => ({ partition, committed: offsets?.get(partition) })),
      );
    }
  }

  #ownedByOther(member: Member, partition: number): boolean {
    for (const other of this.#members.values()) {
      if (
        other !== member &&
        other.handle.topic === member.handle.topic &&
        other.owned.has(partition)
      ) {
        return true;
      }
    }
    return false;
  }

  #targetAssignment(): Map<string, number[]> {
    const byTopic = new Map<string, Member[]>();
    for (const member of this.#members.values()) {
      byTopic.set(member.handle.topic, [...(byTopic.get(member.handle.topic) ?? []), member]);
    }
    const target = new Map<string, number[]>();
    for (const [topic, members] of byTopic) {
      const ids = members.sort((a, b) => a.seq - b.seq).map((m) => m.handle.memberId);
      for (const [id, partitions] of rangeAssign(ids, this.#partitionCount(topic))) {
        target.set(id, partitions);
      }
    }
    return target;
  }
}

function byKey(a: [number, number], b: [number, number]): number {
  return a[0] - b[0];
}
