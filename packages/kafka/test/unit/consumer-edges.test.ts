import {
  ConfigError,
  type InboundMessage,
  type LogFields,
  resolveKqConf,
  silentLogger,
} from '@tasks/core';
import { CommitTracker, Dispatcher } from '@tasks/core/transport';
import { createDeferred, waitFor } from '@tasks/testing';
import { AssignerProtocol, type Cluster, type KafkaMessage, type Logger } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { UndecodableBatchError } from '../../src/codecs/index.js';
import { Assignment } from '../../src/consumer/assignment.js';
import { CommitScheduler } from '../../src/consumer/commit-scheduler.js';
import { toConsumerConfig } from '../../src/consumer/consumer-config.js';
import { FetchLoop } from '../../src/consumer/fetch-loop.js';
import { resolveTransportOptions } from '../../src/consumer/options.js';
import { RebalanceHandler } from '../../src/consumer/rebalance.js';
import { subscriptionRoundRobin } from '../../src/consumer/round-robin-assigner.js';
import { toInbound } from '../../src/consumer/to-inbound.js';
import { batchPayload, kafkaMessage } from './helpers/fake-kafkajs.js';

describe('toInbound', () => {
  it('keeps the last value of a repeated header, as bytes, and skips absent ones', () => {
    const message = {
      ...kafkaMessage(5),
      timestamp: '1700000000123',
      headers: {
        single: 'text',
        repeated: [Buffer.from('first'), 'last'],
        bytes: Buffer.from([1, 2]),
        absent: undefined,
        empty: [],
      },
    } as unknown as KafkaMessage;
    const inbound = toInbound('t', 2, message);
    expect(inbound).toMatchObject({
      topic: 't',
      partition: 2,
      offset: '5',
      timestamp: 1700000000123,
    });
    expect(inbound.headers).toStrictEqual({
      single: Buffer.from('text'),
      repeated: Buffer.from('last'),
      bytes: Buffer.from([1, 2]),
    });
    expect(
      Object.keys(toInbound('t', 0, { ...kafkaMessage(1), headers: {} } as KafkaMessage).headers),
    ).toEqual([]);
  });

  it('gives a missing key or value as null', () => {
    const bare = {
      ...kafkaMessage(0),
      key: undefined,
      value: undefined,
    } as unknown as KafkaMessage;
    expect(toInbound('t', 0, bare)).toMatchObject({ key: null, value: null });
    const kept = toInbound('t', 0, { ...kafkaMessage(0), key: Buffer.from('k') } as KafkaMessage);
    expect(kept.key).toEqual(Buffer.from('k'));
    expect(kept.value).toEqual(Buffer.from('m-0'));
  });
});

describe('Assignment', () => {
  it('lists partitions in numeric order and answers for unknown topics', () => {
    const a = new Assignment();
    a.update({ t: [10, 2, 1] });
    expect(a.partitionsOf('t')).toEqual([1, 2, 10]);
    expect(a.partitionsOf('nope')).toEqual([]);
    expect(a.has('nope', 0)).toBe(false);
    expect(a.has('t', 10)).toBe(true);
  });

  it('keeps no topic it was given no partitions of', () => {
    const a = new Assignment();
    a.update({ t: [], u: [0] });
    expect(a.clear()).toEqual([{ topic: 'u', partitions: [0] }]);
  });
});

describe('transport options', () => {
  it('names each bad field with what to do', () => {
    let error: unknown;
    try {
      resolveTransportOptions({
        sessionTimeoutMs: 3_000,
        heartbeatIntervalMs: 3_000,
        reconnect: { initialDelayMs: 100, maxDelayMs: 50 },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^invalid KafkaTransport options/);
    expect((error as ConfigError).problems).toEqual([
      {
        path: 'kafkaTransport.heartbeatIntervalMs',
        message:
          'must be lower than sessionTimeoutMs (3000), got 3000; about a third of it works well',
      },
      {
        path: 'kafkaTransport.reconnect.maxDelayMs',
        message: 'must be at least reconnect.initialDelayMs (100), got 50',
      },
    ]);
  });

  it('names a reconnect delay that is not a whole number', () => {
    expect(() => resolveTransportOptions({ reconnect: { initialDelayMs: 0.5 } })).toThrow(
      'kafkaTransport.reconnect.initialDelayMs',
    );
    expect(() => resolveTransportOptions({ reconnect: { maxDelayMs: -1 } })).toThrow(
      'kafkaTransport.reconnect.maxDelayMs',
    );
    expect(() => resolveTransportOptions({ heartbeatIntervalMs: 0 })).toThrow(
      'kafkaTransport.heartbeatIntervalMs',
    );
  });

  it('deals partitions with the subscription-aware round robin', () => {
    const conf = resolveKqConf({ brokers: ['b:1'], group: 'g', topic: 't' });
    expect(toConsumerConfig(conf, resolveTransportOptions()).partitionAssigners).toEqual([
      subscriptionRoundRobin,
    ]);
  });
});

describe('CommitScheduler', () => {
  it('sends no request when nothing finished', async () => {
    let sent = 0;
    const scheduler = new CommitScheduler({
      tracker: new CommitTracker(),
      intervalMs: 60_000,
      canCommit: () => true,
      send: async () => {
        sent += 1;
      },
      onCommitted: () => {},
      onError: () => {},
    });
    await scheduler.commitPending();
    await scheduler.commitPositions([]);
    expect(sent).toBe(0);
  });
});

describe('RebalanceHandler', () => {
  function setup() {
    const dispatcher = new Dispatcher({ processors: 1, handler: async () => {} });
    const events: unknown[] = [];
    const handler = new RebalanceHandler({
      group: 'g',
      dispatcher,
      scheduler: new CommitScheduler({
        tracker: dispatcher.tracker,
        intervalMs: 60_000,
        canCommit: () => true,
        send: async () => {},
        onCommitted: () => {},
        onError: () => {},
      }),
      emit: (event) => events.push(event),
    });
    return { handler, events };
  }

  it('announces what two joins before a fetch assigned, together', () => {
    const { handler, events } = setup();
    handler.onJoin({ t: [0] });
    handler.onJoin({ t: [0, 1] });
    handler.onFetchStart(1);
    expect(handler.onFetch(1)).toBe(true);
    expect(events).toEqual([
      { type: 'assigned', group: 'g', topic: 't', partitions: [0] },
      { type: 'assigned', group: 'g', topic: 't', partitions: [1] },
    ]);
  });

  it('announces nothing for a topic whose partitions all went before the fetch', () => {
    const { handler, events } = setup();
    handler.onJoin({ t: [0], u: [3] });
    handler.onJoin({ t: [0] });
    handler.onFetchStart(1);
    handler.onFetch(1);
    expect(events).toEqual([
      { type: 'revoked', group: 'g', topic: 'u', partitions: [3] },
      { type: 'assigned', group: 'g', topic: 't', partitions: [0] },
    ]);
  });
});

describe('FetchLoop', () => {
  function setup(processors = 1, handle: (m: InboundMessage) => Promise<void> = async () => {}) {
    const handled: InboundMessage[] = [];
    const reports: Error[] = [];
    const debug: Array<[string, LogFields | undefined]> = [];
    const dispatcher = new Dispatcher({
      processors,
      handler: async (m) => {
        handled.push(m);
        await handle(m);
      },
    });
    const loop = new FetchLoop({
      dispatcher,
      heartbeatEveryMs: 5,
      stopSignal: new AbortController().signal,
      accepting: () => true,
      logger: {
        debug: (message, fields) => debug.push([message, fields]),
        info: () => {},
        warn: () => {},
        error: () => {},
      },
      report: (error) => reports.push(error),
    });
    const payload = (
      partition: number,
      messages: KafkaMessage[],
      heartbeat: () => Promise<void> = async () => {},
    ) => batchPayload(partition, messages, { heartbeat });
    return { loop, handled, reports, debug, payload };
  }

  it('hands out a message that carries no headers at all', async () => {
    const h = setup();
    const bare = { ...kafkaMessage(0), headers: undefined } as unknown as KafkaMessage;
    await h.loop.eachBatch(h.payload(0, [bare]));
    expect(h.handled.map((m) => m.offset)).toEqual(['0']);
  });

  it('holds a partition at a stand-in record whose mark it cannot read, saying unknown', async () => {
    const h = setup();
    const marked = {
      ...kafkaMessage(4),
      headers: { 'x-tasks-undecodable': 'not bytes' },
    } as unknown as KafkaMessage;
    const p = h.payload(0, [kafkaMessage(3), marked, kafkaMessage(5)]);
    await h.loop.eachBatch(p);
    expect(p.paused.count).toBe(1);
    expect(p.resolved).toEqual(['3']);
    const [error] = h.reports as [UndecodableBatchError];
    expect(error).toBeInstanceOf(UndecodableBatchError);
    expect(error).toMatchObject({ codec: 'unknown', offset: '4' });
    expect(error.message).toContain(': unknown; the partition holds there');
  });

  it('logs a failed heartbeat while waiting for a processor, at debug', async () => {
    const gate = createDeferred();
    const h = setup(1, () => gate.promise);
    const failure = new Error('heartbeat timed out');
    const batch = h.loop.eachBatch(
      h.payload(0, [kafkaMessage(0), kafkaMessage(1)], async () => {
        throw failure;
      }),
    );
    await waitFor(() => h.debug.length > 0);
    expect(h.debug[0]).toEqual([
      'heartbeat failed while waiting for a processor',
      { error: failure },
    ]);
    gate.resolve();
    await batch;
  });

  it('idle() waits for every batch in flight, not only the first to finish', async () => {
    const gate = createDeferred();
    const h = setup(1, (m) =>
      m.partition === 0 && m.offset === '0' ? gate.promise : Promise.resolve(),
    );
    const first = h.loop.eachBatch(h.payload(0, [kafkaMessage(0)]));
    // Waits for the only processor, held by partition 0.
    const second = h.loop.eachBatch(h.payload(1, [kafkaMessage(0)]));
    let idle = false;
    const idling = h.loop.idle().then(() => {
      idle = true;
    });
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    gate.resolve();
    await second;
    await idling;
    expect(h.handled.map((m) => m.partition)).toEqual([0, 1]);
  });
});

describe('subscriptionRoundRobin', () => {
  it('deals in member-id and partition order, however they arrive', async () => {
    const cluster = {
      addMultipleTargetTopics: async () => {},
      findTopicPartitionMetadata: () => [10, 2, 0, 1].map((partitionId) => ({ partitionId })),
    } as unknown as Cluster;
    const assigner = subscriptionRoundRobin({
      cluster,
      groupId: 'g',
      logger: silentLogger as unknown as Logger,
    });
    const members = ['m-b', 'm-a'].map((memberId) => ({
      memberId,
      memberMetadata: assigner.protocol({ topics: ['t'] }).metadata,
    }));
    const result = await assigner.assign({ members, topics: ['t'] });
    const dealt = Object.fromEntries(
      result.map(({ memberId, memberAssignment }) => [
        memberId,
        AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment,
      ]),
    );
    expect(dealt).toEqual({ 'm-a': { t: [0, 2] }, 'm-b': { t: [1, 10] } });
  });
});
