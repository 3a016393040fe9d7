import { type InboundMessage, silentLogger } from '@tasks/core';
import { Dispatcher } from '@tasks/core/transport';
import { createDeferred, waitFor } from '@tasks/testing';
import kafkajs, { type KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { FetchLoop } from '../../src/consumer/fetch-loop.js';
import { batchPayload, type RecordedPayload } from './helpers/fake-kafkajs.js';

function message(offset: number): KafkaMessage {
  return {
    key: null,
    value: Buffer.from(`m-${offset}`),
    timestamp: '1700000000000',
    attributes: 0,
    offset: String(offset),
    headers: { h: [Buffer.from('first'), 'last'] },
  };
}

interface Harness {
  readonly loop: FetchLoop;
  readonly dispatcher: Dispatcher;
  readonly handled: InboundMessage[];
  readonly stop: AbortController;
  payload(offsets: number[], heartbeat?: () => Promise<void>): RecordedPayload;
}

function setup(
  processors: number,
  handle: (m: InboundMessage) => Promise<void> = async () => {},
): Harness {
  const handled: InboundMessage[] = [];
  const dispatcher = new Dispatcher({
    processors,
    commitInOrder: false,
    handler: async (m) => {
      handled.push(m);
      await handle(m);
    },
  });
  const stop = new AbortController();
  const loop = new FetchLoop({
    dispatcher,
    heartbeatEveryMs: 5,
    stopSignal: stop.signal,
    accepting: () => !stop.signal.aborted,
    logger: silentLogger,
    report: () => {},
  });
  return {
    loop,
    dispatcher,
    handled,
    stop,
    payload: (offsets, heartbeat) => batchPayload(0, offsets.map(message), { heartbeat }),
  };
}

describe('FetchLoop (kafkajs eachBatch)', () => {
  it('hands out each message in order as core InboundMessages and resolves the last offset once', async () => {
    const h = setup(8);
    const payload = h.payload([0, 1, 2]);
    await h.loop.eachBatch(payload);
    await waitFor(() => h.handled.length === 3);
    expect(h.handled.map((m) => m.offset)).toEqual(['0', '1', '2']);
    // Resolving "2" marks 0..2 consumed; kafkajs parses each call, so one per batch.
    expect(payload.resolved).toEqual(['2']);
    expect(h.handled[0]).toMatchObject({ topic: 't', partition: 0, timestamp: 1700000000000 });
    expect(h.handled[0]!.headers.h!.toString()).toBe('last');
  });

  it('skips messages already handed out (re-fetched after a rebalance) but resolves them', async () => {
    const h = setup(8);
    await h.loop.eachBatch(h.payload([0, 1]));
    const again = h.payload([0, 1, 2]);
    await h.loop.eachBatch(again);
    await waitFor(() => h.handled.length === 3);
    expect(h.handled.map((m) => m.offset)).toEqual(['0', '1', '2']);
    expect(again.resolved).toEqual(['2']);
  });

  it('waits for a free processor, heartbeating meanwhile', async () => {
    const gate = createDeferred();
    const h = setup(1, () => gate.promise);
    let beats = 0;
    const payload = h.payload([0, 1], async () => {
      beats += 1;
    });
    const batch = h.loop.eachBatch(payload);
    await waitFor(() => beats >= 3, { message: 'heartbeats while blocked' });
    expect(h.handled.map((m) => m.offset)).toEqual(['0']);
    expect(payload.resolved).toEqual([]);
    gate.resolve();
    await batch;
    expect(payload.resolved).toEqual(['1']);
  });

  it('gives up waiting when a heartbeat reports a rebalance, and rethrows it for kafkajs', async () => {
    const gate = createDeferred();
    const h = setup(1, () => gate.promise);
    const rebalance = new kafkajs.KafkaJSProtocolError({
      message: 'The group is rebalancing',
      type: 'REBALANCE_IN_PROGRESS',
      code: 27,
      retriable: false,
    } as unknown as Error);
    const payload = h.payload([0, 1, 2], () => Promise.reject(rebalance));
    await expect(h.loop.eachBatch(payload)).rejects.toBe(rebalance);
    expect(payload.resolved).toEqual(['0']);
    expect(h.handled).toHaveLength(1);
    await h.loop.idle();
    gate.resolve();
  });

  it('stops handing out when the member stops', async () => {
    const gate = createDeferred();
    const h = setup(1, () => gate.promise);
    const payload = h.payload([0, 1, 2]);
    const batch = h.loop.eachBatch(payload);
    await waitFor(() => h.handled.length === 1);
    h.stop.abort();
    await batch;
    await h.loop.idle();
    expect(payload.resolved).toEqual(['0']);
    gate.resolve();
  });

  it('stops handing out a partition revoked mid-batch, and resolves nothing for it', async () => {
    // kafkajs can re-join from another broker's fetcher while this batch waits
    // (stale metadata, leader moves): the join revokes t[0] under it.
    const first = createDeferred();
    const second = createDeferred();
    const h = setup(2, (m) => (m.offset === '0' ? first.promise : second.promise));
    const payload = h.payload([0, 1, 2]);
    const batch = h.loop.eachBatch(payload);
    await waitFor(() => h.handled.length === 2);
    // What RebalanceHandler does for a revoked partition at GROUP_JOIN.
    h.dispatcher.revoke('t', 0);
    second.resolve();
    await batch;
    // Both processors are free again (1 settled, 0 still runs): 2 would have started by now.
    await waitFor(() => h.dispatcher.inFlight === 1);
    // Offset 2 belongs to the next owner: running it here would start a fresh
    // ledger and commit t[0]@3 while offset 0 is still running.
    expect(h.handled.map((m) => m.offset)).toEqual(['0', '1']);
    expect(h.dispatcher.tracker.pending()).toEqual([]);
    // kafkajs's offset manager was rebuilt at the join: resolving here would
    // move the fetch position of whoever owns t[0] next in this member.
    expect(payload.resolved).toEqual([]);
    first.resolve();
    await h.dispatcher.idle();
    expect(h.dispatcher.tracker.pending()).toEqual([]);
  });

  it('hands out nothing more once its partition is revoked between two messages', async () => {
    // The revocation lands after message 1 started and before the loop moves on
    // (here: from inside the run, the narrowest gap there is).
    const first = createDeferred();
    const h = setup(1, async (m) => {
      if (m.offset === '0') await first.promise;
      if (m.offset === '1') h.dispatcher.revoke('t', 0);
    });
    const payload = h.payload([0, 1, 2]);
    const batch = h.loop.eachBatch(payload);
    await waitFor(() => h.handled.length === 1);
    first.resolve();
    await batch;
    await h.dispatcher.idle();
    expect(h.handled.map((m) => m.offset)).toEqual(['0', '1']);
    expect(payload.resolved).toEqual([]);
    expect(h.dispatcher.tracker.pending()).toEqual([]);
  });

  it('starts a fresh round after a rebalance: the next batch hands out again', async () => {
    const gate = createDeferred();
    const h = setup(1, (m) => (m.offset === '0' ? gate.promise : Promise.resolve()));
    const rebalance = new kafkajs.KafkaJSProtocolError({
      message: 'The group is rebalancing',
      type: 'REBALANCE_IN_PROGRESS',
      code: 27,
      retriable: false,
    } as unknown as Error);
    await expect(h.loop.eachBatch(h.payload([0, 1], () => Promise.reject(rebalance)))).rejects.toBe(
      rebalance,
    );
    await h.loop.idle();
    gate.resolve();
    await h.dispatcher.idle();
    // kafkajs re-joined and fetches again from 1: the aborted round must not stop this batch.
    const next = h.payload([1, 2]);
    await h.loop.eachBatch(next);
    expect(next.resolved).toEqual(['2']);
    await waitFor(() => h.handled.length === 3);
    expect(h.handled.map((m) => m.offset)).toEqual(['0', '1', '2']);
  });

  it('idle() waits for a batch that waits for a processor', async () => {
    const gate = createDeferred();
    const h = setup(1, () => gate.promise);
    const batch = h.loop.eachBatch(h.payload([0, 1]));
    await waitFor(() => h.handled.length === 1);
    let idle = false;
    const waiting = h.loop.idle().then(() => {
      idle = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    gate.resolve();
    await batch;
    await waiting;
    expect(idle).toBe(true);
  });
});
