import { silentLogger } from '@tasks/core';
import { Dispatcher } from '@tasks/core/transport';
import { createDeferred, waitFor } from '@tasks/testing';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { FetchLoop } from '../../src/consumer/fetch-loop.js';
import { batchPayload, type RecordedPayload } from './helpers/fake-kafkajs.js';

function payload(
  partition: number,
  offsets: number[],
  heartbeat: () => Promise<void>,
): RecordedPayload {
  return batchPayload(partition, offsets, { heartbeat });
}

describe('FetchLoop: the revocation wait before kafkajs re-joins', () => {
  it('holds the rebalance until beforeRejoin is done (once for every batch of the round), starting nothing new meanwhile', async () => {
    const gate = createDeferred();
    const handled: string[] = [];
    const dispatcher = new Dispatcher({
      processors: 2,
      handler: async (m) => {
        handled.push(`${m.partition}@${m.offset}`);
        await gate.promise;
      },
    });
    const drained = createDeferred();
    let rejoins = 0;
    const loop = new FetchLoop({
      dispatcher,
      heartbeatEveryMs: 5,
      stopSignal: new AbortController().signal,
      accepting: () => true,
      logger: silentLogger,
      report: () => {},
      beforeRejoin: async () => {
        rejoins += 1;
        await drained.promise;
      },
    });
    const rebalance = new kafkajs.KafkaJSProtocolError({
      message: 'The group is rebalancing',
      type: 'REBALANCE_IN_PROGRESS',
      code: 27,
      retriable: false,
    } as unknown as Error);
    let rebalancing = false;
    const heartbeat = () => (rebalancing ? Promise.reject(rebalance) : Promise.resolve());
    // Two processors, both busy with partition 0: both batches wait for one.
    const settled: string[] = [];
    const a = loop.eachBatch(payload(0, [0, 1, 2], heartbeat)).catch((e) => {
      settled.push('a');
      throw e;
    });
    const b = loop.eachBatch(payload(1, [0, 1, 2], heartbeat)).catch((e) => {
      settled.push('b');
      throw e;
    });
    await waitFor(() => handled.length === 2);
    rebalancing = true;
    await waitFor(() => rejoins === 1, { message: 'the wait to begin' });
    // The runs end during the wait: their processors free up, yet nothing new starts.
    gate.resolve();
    await dispatcher.idle();
    expect(handled).toEqual(['0@0', '0@1']);
    expect(settled).toEqual([]);
    drained.resolve();
    await expect(a).rejects.toBe(rebalance);
    await expect(b).rejects.toBe(rebalance);
    expect(rejoins).toBe(1);
  });
});
