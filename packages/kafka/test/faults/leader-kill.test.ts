// Scenario 1 of the fault suite: SIGKILL the broker leading most partitions,
// twice, while a pusher pushes at ~300/s. Every push must either resolve and
// be in the topic, or reject with a typed error the caller sees.
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, TransportError } from '@tasks/core';
import { KafkaPusher } from '@tasks/kafka';
import { uniqueName, waitFor } from '@tasks/testing';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  busiestLeader,
  createDurableTopic,
  faultBrokers,
  killNode,
  newAdmin,
  readAll,
  report,
  startNode,
} from './cluster.js';

describe('leader SIGKILL during pushes', () => {
  let admin: Admin;
  const topic = uniqueName('faults-leader');

  beforeAll(async () => {
    admin = newAdmin();
    await admin.connect();
    await createDurableTopic(admin, topic, 8);
  });
  afterAll(async () => {
    await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin?.disconnect();
  });

  it('loses no resolved push across two leader kills; rejections are typed', async () => {
    const pusher = new KafkaPusher({
      brokers: faultBrokers(),
      topic,
      logger: silentLogger,
    });
    const resolved = new Set<string>();
    const rejected = new Map<string, unknown>();
    const pending: Promise<void>[] = [];
    let next = 0;
    let pushing = true;
    const push = (async () => {
      // ~300 pushes a second, not awaited one by one (a busy producer).
      while (pushing) {
        for (let i = 0; i < 3; i++) {
          const id = String(next++);
          pending.push(
            pusher.push(id, { key: id }).then(
              () => void resolved.add(id),
              (error: unknown) => void rejected.set(id, error),
            ),
          );
        }
        await sleep(10);
      }
    })();
    const kills: number[] = [];
    for (let round = 0; round < 2; round++) {
      // Let acknowledged pushes pile up on every leader, then kill the busiest.
      const before = resolved.size;
      await waitFor(() => resolved.size >= before + 600, { timeoutMs: 60_000 });
      const node = await busiestLeader(admin, topic);
      kills.push(node);
      await killNode(node);
      const atKill = resolved.size;
      await waitFor(() => resolved.size >= atKill + 300, { timeoutMs: 60_000 });
      await startNode(node);
    }
    pushing = false;
    await push;
    await Promise.all(pending);
    await pusher.close();

    const present = new Set(await readAll(admin, topic));
    const absent = [...resolved].filter((id) => !present.has(id));
    const untyped = [...rejected.values()].filter((e) => !(e instanceof TransportError));
    report('1 leader SIGKILL x2', {
      pushed: next,
      resolved: resolved.size,
      rejected: rejected.size,
      'resolved-but-absent': absent.length,
      'in topic': present.size,
      killed: kills.join('+'),
    });
    expect(untyped).toEqual([]);
    expect(absent).toEqual([]);
    expect(resolved.size + rejected.size).toBe(next);
  });
});
