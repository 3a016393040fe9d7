import { silentLogger } from '@tasks/core';
import { AssignerProtocol, type Cluster, type Logger } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { subscriptionRoundRobin } from '../../src/consumer/round-robin-assigner.js';

const partitionCounts: Record<string, number> = { orders: 3, payments: 2, audit: 1 };

function fakeCluster(loaded: string[]): Cluster {
  return {
    addMultipleTargetTopics: async (topics: string[]) => {
      loaded.push(...topics);
    },
    findTopicPartitionMetadata: (topic: string) =>
      Array.from({ length: partitionCounts[topic] ?? 0 }, (_, partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 1,
        replicas: [1],
        isr: [1],
      })),
  } as unknown as Cluster;
}

async function assign(subscriptions: Record<string, string[]>, loaded: string[] = []) {
  const assigner = subscriptionRoundRobin({
    cluster: fakeCluster(loaded),
    groupId: 'g',
    logger: silentLogger as unknown as Logger,
  });
  const members = Object.entries(subscriptions).map(([memberId, topics]) => ({
    memberId,
    memberMetadata: assigner.protocol({ topics }).metadata,
  }));
  const result = await assigner.assign({ members, topics: subscriptions[members[0]!.memberId]! });
  return Object.fromEntries(
    result.map(({ memberId, memberAssignment }) => [
      memberId,
      AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment,
    ]),
  );
}

describe('subscription-aware roundrobin assigner', () => {
  it('deals each topic only to the members that subscribe to it (one group, several topics)', async () => {
    const loaded: string[] = [];
    const result = await assign({ a: ['orders'], b: ['payments'] }, loaded);
    expect(result).toEqual({ a: { orders: [0, 1, 2] }, b: { payments: [0, 1] } });
    expect(loaded).toEqual(['orders', 'payments']);
  });

  it("splits a shared topic like Java's RoundRobinAssignor", async () => {
    expect(await assign({ m1: ['orders', 'payments'], m2: ['orders', 'payments'] })).toEqual({
      m1: { orders: [0, 2], payments: [1] },
      m2: { orders: [1], payments: [0] },
    });
  });

  it('mixes shared and private subscriptions', async () => {
    const result = await assign({ x: ['orders', 'audit'], y: ['orders'], z: ['payments'] });
    expect(result).toEqual({
      x: { audit: [0], orders: [1] },
      y: { orders: [0, 2] },
      z: { payments: [0, 1] },
    });
  });

  it("uses the protocol name Java and kafka-go use for it: 'roundrobin'", () => {
    const assigner = subscriptionRoundRobin({
      cluster: fakeCluster([]),
      groupId: 'g',
      logger: silentLogger as unknown as Logger,
    });
    expect(assigner.name).toBe('roundrobin');
    expect(assigner.protocol({ topics: ['t'] }).name).toBe('roundrobin');
  });
});
