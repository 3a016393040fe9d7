/**
 * Kafka's range assignor for one topic: members in order, each gets a
 * contiguous range, the first `partitions % members` get one extra.
 */
export function rangeAssign(
  memberIds: readonly string[],
  partitionCount: number,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const members = memberIds.length;
  if (members === 0) return out;
  const base = Math.floor(partitionCount / members);
  const extra = partitionCount % members;
  memberIds.forEach((memberId, i) => {
    const start = i * base + Math.min(i, extra);
    const count = base + (i < extra ? 1 : 0);
    out.set(
      memberId,
      Array.from({ length: count }, (_, j) => start + j),
    );
  });
  return out;
}
