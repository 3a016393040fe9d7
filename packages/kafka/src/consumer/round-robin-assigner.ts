import { AssignerProtocol, type GroupMemberAssignment, type PartitionAssigner } from 'kafkajs';

const { MemberAssignment, MemberMetadata } = AssignerProtocol;

/**
 * The Java client's `RoundRobinAssignor` (protocol name `roundrobin`): every
 * partition of every topic any member subscribes to, sorted, dealt in turn to
 * the members (sorted by id) that subscribe to its topic.
 *
 * kafkajs's own assigner deals the leader's topics to every member, whatever
 * each subscribed to, which breaks go-queue's habit of one group across
 * several topics (one conf per topic, same `group`). This one reads each
 * member's subscription from its metadata, as Java and kafka-go do, and its
 * protocol name matches theirs.
 */
export const subscriptionRoundRobin: PartitionAssigner = ({ cluster }) => ({
  name: 'roundrobin',
  version: 0,

  async assign({ members }) {
    const subscriptions = new Map<string, ReadonlySet<string>>();
    for (const { memberId, memberMetadata } of members) {
      const decoded = MemberMetadata.decode(memberMetadata);
      subscriptions.set(memberId, new Set(decoded?.topics ?? []));
    }
    const topics = [...new Set([...subscriptions.values()].flatMap((s) => [...s]))].sort();
    // The leader may not subscribe to every topic: load their metadata too.
    await cluster.addMultipleTargetTopics(topics);

    const memberIds = [...subscriptions.keys()].sort();
    const assignment = new Map<string, Record<string, number[]>>(memberIds.map((id) => [id, {}]));
    let next = 0;
    for (const topic of topics) {
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      for (const partition of partitions) {
        for (let step = 0; step < memberIds.length; step++) {
          const candidate = memberIds[(next + step) % memberIds.length]!;
          if (!subscriptions.get(candidate)?.has(topic)) continue;
          const mine = assignment.get(candidate)!;
          mine[topic] = [...(mine[topic] ?? []), partition];
          next = (next + step + 1) % memberIds.length;
          break;
        }
      }
    }
    return memberIds.map(
      (memberId): GroupMemberAssignment => ({
        memberId,
        memberAssignment: MemberAssignment.encode({
          version: 0,
          assignment: assignment.get(memberId)!,
          userData: Buffer.alloc(0),
        }),
      }),
    );
  },

  protocol({ topics }) {
    return {
      name: 'roundrobin',
      metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});
