import { type InboundMessage, silentLogger } from '@tasks/core';
import { Dispatcher } from '@tasks/core/transport';
import { waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { FetchLoop } from '../../src/consumer/fetch-loop.js';
import { PartitionOwners } from '../../src/consumer/partition-owners.js';
import { batchPayload, type RecordedPayload } from './helpers/fake-kafkajs.js';

function payload(offsets: number[]): RecordedPayload {
  return batchPayload(3, offsets);
}

describe('PartitionOwners (conns > 1: members of one process hand partitions over)', () => {
  it('lets a member hand out a partition another still holds only once that one released it', async () => {
    const owners = new PartitionOwners(60_000, silentLogger);
    const a = {};
    const b = {};
    expect(owners.acquire('t', 3, a)).toBeUndefined();
    expect(owners.acquire('t', 3, a)).toBeUndefined();
    let bHolds = false;
    const waiting = owners.acquire('t', 3, b);
    expect(waiting).toBeInstanceOf(Promise);
    void waiting?.then(() => (bHolds = true));
    // A second batch of B waits too, and both go on at the release.
    let second = false;
    void owners.acquire('t', 3, b)?.then(() => (second = true));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(bHolds).toBe(false);
    owners.release('t', 3, a);
    await waitFor(() => bHolds && second);
    expect(owners.acquire('t', 3, b)).toBeUndefined();
    // Other partitions are independent.
    expect(owners.acquire('t', 4, a)).toBeUndefined();
  });

  it('takes a partition over after the timeout when its holder never releases it', async () => {
    const warnings: string[] = [];
    const owners = new PartitionOwners(50, {
      ...silentLogger,
      warn: (line) => warnings.push(line),
    });
    const a = {};
    const b = {};
    owners.acquire('t', 0, a);
    await owners.acquire('t', 0, b);
    expect(owners.acquire('t', 0, b)).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('t[0] was not released')]);
  });

  it('lets a member revoked while it waited go on (to find itself revoked)', async () => {
    const owners = new PartitionOwners(60_000, silentLogger);
    const a = {};
    const b = {};
    owners.acquire('t', 0, a);
    const waiting = owners.acquire('t', 0, b);
    owners.release('t', 0, b);
    await waiting;
    // A still holds it.
    expect(owners.acquire('t', 0, a)).toBeUndefined();
    expect(owners.acquire('t', 0, b)).toBeInstanceOf(Promise);
  });

  it("keeps a member's fetch loop from handing out a partition another member still holds", async () => {
    // Review finding (conns > 1): the member that gained t[3] started runs on it
    // before the member that lost it processed its join, whose revoked event
    // then aborted the gaining member's runs (they share the partition's signal).
    const owners = new PartitionOwners(60_000, silentLogger);
    const losing = {};
    const gaining = {};
    owners.acquire('t', 3, losing);
    const handled: InboundMessage[] = [];
    const dispatcher = new Dispatcher({
      processors: 4,
      handler: async (m) => {
        handled.push(m);
      },
    });
    const loop = new FetchLoop({
      dispatcher,
      heartbeatEveryMs: 5,
      stopSignal: new AbortController().signal,
      accepting: () => true,
      logger: silentLogger,
      report: () => {},
      handover: (topic, partition) => owners.acquire(topic, partition, gaining),
    });
    const batch = payload([0, 1]);
    const done = loop.eachBatch(batch);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(handled).toEqual([]);
    // The losing member's join: revoked event first (its runs aborted), then the release.
    owners.release('t', 3, losing);
    await done;
    await waitFor(() => handled.length === 2);
    expect(batch.resolved).toEqual(['1']);
  });
});
