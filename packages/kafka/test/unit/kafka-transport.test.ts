import { ErrorCodes, StateError, type TransportEvent } from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';
import { createDeferred, waitFor } from '@tasks/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  FakeCluster,
  type FakeConsumer,
  FakeKafka,
  protocolError,
} from './helpers/fake-kafkajs.js';
import { recordingLogger } from './helpers/recording-logger.js';

// Every `new Kafka(config)` the transport makes is a fake client of `FakeKafka.defaultCluster`.
vi.mock('kafkajs', async (importOriginal) => {
  const original = await importOriginal<typeof import('kafkajs')>();
  const { FakeKafka } = await import('./helpers/fake-kafkajs.js');
  const cjs = (original as unknown as { default: typeof original }).default;
  return { ...original, default: { ...cjs, Kafka: FakeKafka }, Kafka: FakeKafka };
});

function setup(topics: readonly string[] = ['t', 'u']) {
  const cluster = new FakeCluster(topics);
  FakeKafka.defaultCluster = cluster;
  const { logger, lines } = recordingLogger();
  const transport = new KafkaTransport({
    logger,
    commitIntervalMs: 60_000,
    reconnect: { initialDelayMs: 1, maxDelayMs: 2 },
  });
  const events: TransportEvent[] = [];
  transport.onEvent((event) => events.push(event));
  /** Plays the coordinator for every consumer `run()` so far: join, then a completed fetch. */
  const joinAll = async (count: number, assignment: (i: number) => Record<string, number[]>) => {
    const consumers = (await waitFor(() => {
      const running = cluster.consumers.filter((c) => c.running);
      return running.length >= count ? running : undefined;
    })) as FakeConsumer[];
    consumers.forEach((consumer, i) => {
      consumer.join(assignment(i));
      consumer.fetched();
    });
    return consumers;
  };
  return { cluster, transport, events, lines, joinAll };
}

const conf = (topic: string, extra: Record<string, unknown> = {}) => ({
  brokers: ['fake:9092'],
  group: `g-${topic}`,
  topic,
  ...extra,
});

afterEach(() => {
  FakeKafka.defaultCluster = new FakeCluster();
});

describe('KafkaTransport over a fake kafkajs', () => {
  it('opens `conns` group members per conf, starts them all, and reports each one', async () => {
    const h = setup();
    const handler = async () => {};
    h.transport.subscribe(conf('t', { conns: 2 }), handler);
    h.transport.subscribe(conf('u'), handler);
    // One client per conf and one probe without kafkajs's retries for the topic check.
    expect(h.cluster.clients).toHaveLength(4);
    const [client, probe] = h.cluster.clients as [FakeKafka, FakeKafka];
    expect(client.config?.brokers).toEqual(['fake:9092']);
    expect(probe.config?.retry?.retries).toBe(0);
    expect(client.config?.retry?.retries).not.toBe(0);

    const starting = h.transport.start();
    const consumers = await h.joinAll(
      3,
      (i): Record<string, number[]> => (i === 2 ? { u: [0] } : { t: [i] }),
    );
    await starting;
    // The topic check before each attempt goes through the probe (no kafkajs retries).
    expect(probe.admins).toBe(2);
    expect(client.admins).toBe(0);
    expect(consumers.map((c) => c.config.groupId).sort()).toEqual(['g-t', 'g-t', 'g-u']);
    expect(h.transport.status().map((s) => [s.group, s.topic, s.joined])).toEqual([
      ['g-t', 't', true],
      ['g-t', 't', true],
      ['g-u', 'u', true],
    ]);
    expect(h.lines).toContainEqual(
      expect.stringContaining('group "g-t" on "t" (member 1/2): joining the group'),
    );
    expect(h.lines).toContainEqual(
      expect.stringContaining('group "g-t" on "t" (member 2/2): joining the group'),
    );
    expect(h.lines).toContainEqual(expect.stringContaining('info group "g-u" on "u": joining'));
    expect(h.events.filter((e) => e.type === 'assigned')).toHaveLength(3);

    expect(h.transport.name).toBe('kafka');
    expect(() => h.transport.subscribe(conf('u'), handler)).toThrow(
      'subscribe() must come before start() (the transport is running)',
    );
    await expect(h.transport.start()).rejects.toThrow(StateError);

    await h.transport.stop();
    expect(h.transport.stop()).toBe(h.transport.stop());
    for (const consumer of consumers) expect(consumer.calls.at(-1)).toBe('disconnect');
    expect(h.transport.status().every((s) => !s.joined)).toBe(true);
  });

  it('commit() commits what each member finished', async () => {
    const h = setup();
    h.transport.subscribe(conf('t', { conns: 2 }), async () => {});
    const starting = h.transport.start();
    const consumers = await h.joinAll(2, (i) => ({ t: [i] }));
    await starting;
    await Promise.all(consumers.map((c, i) => c.deliver('t', i, [0, 1]).done));
    await waitFor(async () => {
      await h.transport.commit();
      return consumers.every((c, i) => c.committed('t', i).includes('2'));
    });
    expect(h.events.filter((e) => e.type === 'committed')).toHaveLength(2);
    await h.transport.stop();
  });

  it('one member that cannot start stops the others and start() rejects with its error', async () => {
    const h = setup();
    h.transport.subscribe(conf('t'), async () => {});
    h.transport.subscribe(conf('u'), async () => {});
    const connecting = createDeferred();
    (h.cluster.clients[0] as FakeKafka).onConsumer = (consumer) => {
      consumer.connectGate = connecting.promise;
    };
    (h.cluster.clients[2] as FakeKafka).onConsumer = (consumer) => {
      consumer.connectError = protocolError('SASL_AUTHENTICATION_FAILED', 'bad password');
    };
    const error = await h.transport.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: ErrorCodes.AuthenticationFailed });
    // The other member, still connecting, was stopped: its consumer is disconnected.
    const [other] = (h.cluster.clients[0] as FakeKafka).consumers as [FakeConsumer];
    expect(other.calls).toEqual(['connect', 'disconnect']);
    connecting.resolve();
    expect(h.transport.status().map((s) => s.joined)).toEqual([false, false]);
    await expect(h.transport.start()).rejects.toThrow(/start\(\) called while stopped/);
    await h.transport.stop();
  });

  it('hands events to every listener, keeps going past one that throws, and lets one unsubscribe', async () => {
    const h = setup();
    const second: TransportEvent[] = [];
    h.transport.onEvent(() => {
      throw new Error('listener bug');
    });
    const off = h.transport.onEvent((event) => second.push(event));
    h.transport.subscribe(conf('t'), async () => {});
    const starting = h.transport.start();
    const [consumer] = (await h.joinAll(1, () => ({ t: [0] }))) as [FakeConsumer];
    await starting;
    expect(h.events.map((e) => e.type)).toEqual(['assigned']);
    expect(second.map((e) => e.type)).toEqual(['assigned']);
    expect(h.lines).toContainEqual(
      expect.stringMatching(/^error a transport listener threw {"error":/),
    );
    off();
    consumer.join({ t: [] });
    expect(h.events.map((e) => e.type)).toEqual(['assigned', 'revoked']);
    expect(second.map((e) => e.type)).toEqual(['assigned']);
    await h.transport.stop();
  });

  it('applies the environment it was given to every conf', () => {
    const cluster = new FakeCluster(['t']);
    FakeKafka.defaultCluster = cluster;
    const transport = new KafkaTransport({
      logger: recordingLogger().logger,
      env: { KAFKA_BROKERS: 'env-broker:9092' },
    });
    transport.subscribe(conf('t'), async () => {});
    expect(cluster.clients[0]?.config?.brokers).toEqual(['env-broker:9092']);
  });

  it('names the conf at fault by its index', () => {
    setup();
    const transport = new KafkaTransport({ logger: recordingLogger().logger });
    transport.subscribe(conf('t'), async () => {});
    expect(() => transport.subscribe({ ...conf('u'), processors: 0 }, async () => {})).toThrow(
      /kafkaConf\[1\]\.processors/,
    );
  });

  it('stop() before start() is fine and start() is refused after it', async () => {
    const h = setup();
    h.transport.subscribe(conf('t'), async () => {});
    const stopping = h.transport.stop();
    expect(() => h.transport.subscribe(conf('u'), async () => {})).toThrow(
      '(the transport is stopping)',
    );
    await stopping;
    await expect(h.transport.start()).rejects.toThrow('start() called while stopped');
    expect(h.cluster.consumers).toEqual([]);
  });
});
