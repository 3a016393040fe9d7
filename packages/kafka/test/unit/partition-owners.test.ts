import { silentLogger } from '@tasks/core';
import { waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { PartitionOwners } from '../../src/consumer/partition-owners.js';

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
});
