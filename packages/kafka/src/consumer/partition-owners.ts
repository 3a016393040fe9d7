import type { Logger } from '@tasks/core';

interface Holding {
  holder: object;
  readonly waiters: Array<{ readonly member: object; readonly take: () => void }>;
}

/**
 * Which of a conf's group members (its `conns`, in this process) hands out
 * each partition now. In a rebalance the member that gains a partition can
 * get its assignment before the member that loses it has processed its own:
 * the gaining member's runs would then share the partition's `ctx.signal`
 * with the loser's, and the loser's revocation would abort them. So a member
 * hands out a partition only once the previous holder released it (at its
 * revocation, after the revoked event), or after `timeoutMs` if it never does.
 */
export class PartitionOwners {
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #byTopic = new Map<string, Map<number, Holding>>();

  constructor(timeoutMs: number, logger: Logger) {
    this.#timeoutMs = timeoutMs;
    this.#logger = logger;
  }

  /**
   * Undefined when `member` holds the partition (now, if it was free);
   * otherwise a promise that resolves once it does.
   */
  acquire(topic: string, partition: number, member: object): Promise<void> | undefined {
    let byPartition = this.#byTopic.get(topic);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.#byTopic.set(topic, byPartition);
    }
    const holding = byPartition.get(partition);
    if (holding === undefined) {
      byPartition.set(partition, { holder: member, waiters: [] });
      return undefined;
    }
    if (holding.holder === member) return undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (!holding.waiters.some((w) => w.member === member)) return;
        this.#logger.warn(
          `${topic}[${partition}] was not released by the member that held it within ${this.#timeoutMs} ms; taking it over`,
        );
        this.#handTo(holding, member);
      }, this.#timeoutMs);
      timer.unref();
      holding.waiters.push({
        member,
        take: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** `member` holds the partition now: every waiter of it (one per batch in flight) goes on. */
  #handTo(holding: Holding, member: object): void {
    holding.holder = member;
    for (let i = holding.waiters.length - 1; i >= 0; i--) {
      const w = holding.waiters[i]!;
      if (w.member === member) {
        holding.waiters.splice(i, 1);
        w.take();
      }
    }
  }

  /** `member` hands the partition over (revoked, or gone); the next waiting member gets it. */
  release(topic: string, partition: number, member: object): void {
    const byPartition = this.#byTopic.get(topic);
    const holding = byPartition?.get(partition);
    if (holding === undefined) return;
    if (holding.holder !== member) {
      // Revoked before it got the partition: its waiting batches go on, find it revoked, hand out nothing.
      for (let i = holding.waiters.length - 1; i >= 0; i--) {
        const w = holding.waiters[i]!;
        if (w.member === member) {
          holding.waiters.splice(i, 1);
          w.take();
        }
      }
      return;
    }
    const next = holding.waiters[0];
    if (next === undefined) {
      byPartition!.delete(partition);
      return;
    }
    this.#handTo(holding, next.member);
  }
}
