import {
  ErrorCodes,
  type InboundMessage,
  isTasksError,
  type KqConf,
  resolveKqConf,
  ShutdownError,
  StateError,
  type TransportEvent,
} from '@tasks/core';
import { createDeferred, type Deferred, waitFor } from '@tasks/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GroupMember } from '../../src/consumer/group-member.js';
import { type KafkaTransportOptions, resolveTransportOptions } from '../../src/consumer/options.js';
import {
  connectionError,
  FakeCluster,
  type FakeConsumer,
  FakeKafka,
  protocolError,
} from './helpers/fake-kafkajs.js';
import { recordingLogger } from './helpers/recording-logger.js';

interface Setup {
  readonly conf?: Partial<KqConf>;
  readonly options?: KafkaTransportOptions;
  readonly topics?: readonly string[];
}

/** A group member over the fake kafkajs; `gate(offset)` holds that offset's run until released. */
function setup({ conf = {}, options = {}, topics = ['t'] }: Setup = {}) {
  const cluster = new FakeCluster(topics);
  const kafka = new FakeKafka(undefined, cluster);
  const events: TransportEvent[] = [];
  const { logger, lines } = recordingLogger();
  const handled: InboundMessage[] = [];
  const gates = new Map<number, Deferred<void>>();
  const member = new GroupMember({
    kafka: kafka.asKafka(),
    conf: resolveKqConf({ brokers: ['fake:9092'], group: 'g', topic: 't', ...conf }),
    handler: async (message) => {
      handled.push(message);
      await gates.get(Number(message.offset))?.promise;
    },
    options: resolveTransportOptions({
      commitIntervalMs: 60_000,
      reconnect: { initialDelayMs: 1, maxDelayMs: 2 },
      ...options,
    }),
    logger,
    emit: (event) => events.push(event),
    label: 'member',
  });
  const gate = (offset: number) => {
    const deferred = createDeferred();
    gates.set(offset, deferred);
    return deferred;
  };
  /** The consumer kafkajs would be running now (the latest one made), once `run()` was called. */
  const running = async (count = 1): Promise<FakeConsumer> =>
    (await waitFor(
      () => {
        const consumer = kafka.consumers[count - 1];
        return consumer?.running ? consumer : undefined;
      },
      { message: `consumer #${count} running` },
    )) as FakeConsumer;
  /** Starts the member and plays the coordinator: join with `assignment`, complete a fetch. */
  const start = async (assignment: Record<string, number[]> = { t: [0, 1] }) => {
    const starting = member.start();
    const consumer = await running();
    consumer.join(assignment);
    consumer.fetched();
    await starting;
    return consumer;
  };
  const of = <T extends TransportEvent['type']>(type: T) =>
    events.filter((e): e is Extract<TransportEvent, { type: T }> => e.type === type);
  return { cluster, kafka, member, events, of, lines, handled, gate, running, start };
}

function settledFlag(promise: Promise<unknown>): { settled: boolean } {
  const flag = { settled: false };
  promise.then(
    () => (flag.settled = true),
    () => (flag.settled = true),
  );
  return flag;
}

/** Offset 0 of t[0] finished, offset 1 still running (until `held` resolves), then a rebalance begins. */
async function rebalanceWithRunInFlight(h: ReturnType<typeof setup>) {
  const consumer = await h.start();
  const held = h.gate(1);
  consumer.deliver('t', 0, [0, 1]);
  await waitFor(() => h.handled.length === 2);
  consumer.rebalancing();
  return { consumer, held };
}

/**
 * A member committing every 10 ms whose first commit throws `error`; resolves
 * once offset 0 of t[0] was committed by a later one.
 */
async function firstIntervalCommitThrows(error: Error) {
  const h = setup({ options: { commitIntervalMs: 10 } });
  const consumer = await h.start();
  let failures = 1;
  consumer.onCommit = () => {
    if (failures-- > 0) throw error;
  };
  await consumer.deliver('t', 0, [0]).done;
  await waitFor(() => consumer.committed('t', 0).includes('1'));
  return h;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('GroupMember over a fake kafkajs consumer', () => {
  it('starts once the first fetch after the join resolved the start positions, and says so', async () => {
    const h = setup({ conf: { consumers: 3, offset: 'first' } });
    // Strict: a field not known yet (last fetch, last commit, a wait) is absent, not undefined.
    expect(h.member.status()).toStrictEqual({
      group: 'g',
      topic: 't',
      joined: false,
      partitions: [],
      uncommitted: 0,
      heldPartitions: [],
    });
    const starting = h.member.start();
    const flag = settledFlag(starting);
    const consumer = await h.running();
    expect(consumer.calls).toEqual(['connect', 'subscribe', 'run']);
    expect(consumer.subscription).toEqual({ topics: ['t'], fromBeginning: true });
    expect(consumer.runConfig).toMatchObject({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
    });
    expect(h.member.status()).toMatchObject({
      joined: false,
      waiting: { what: 'joining the group' },
    });

    consumer.join({ t: [0, 1] });
    await Promise.resolve();
    expect(flag.settled).toBe(false);
    expect(h.of('assigned')).toEqual([]);
    expect(h.member.status().partitions).toEqual([0, 1]);

    consumer.fetched(3);
    await starting;
    expect(h.of('assigned')).toEqual([
      { type: 'assigned', group: 'g', topic: 't', partitions: [0, 1] },
    ]);
    const status = h.member.status();
    expect(status).toMatchObject({ joined: true, partitions: [0, 1], uncommitted: 0 });
    expect(status.waiting).toBeUndefined();
    expect(status.lastFetchAt).toBeTypeOf('number');
    expect(status.reconnectingSince).toBeUndefined();
    expect(h.lines.filter((l) => l.startsWith('info'))).toEqual([
      expect.stringContaining('info member: joining the group'),
      expect.stringMatching(
        /^info member: done joining the group after \d+ ms .*"partitions":\[0,1\]/,
      ),
    ]);

    await expect(h.member.start()).rejects.toBeInstanceOf(StateError);
    await h.member.stop();
  });

  it('a fetch that started before the join does not complete it', async () => {
    const h = setup();
    const starting = h.member.start();
    const flag = settledFlag(starting);
    const consumer = await h.running();
    consumer.join({ t: [0] });
    // A FETCH from a node whose fetch did not start after the join.
    consumer.fetched(1);
    await starting;
    expect(flag.settled).toBe(true);
    const other = setup();
    const second = other.member.start();
    const otherFlag = settledFlag(second);
    const c2 = await other.running();
    c2.fetched(0); // no join yet: nothing to announce
    await new Promise((resolve) => setImmediate(resolve));
    expect(otherFlag.settled).toBe(false);
    expect(other.member.status().joined).toBe(false);
    c2.join({ t: [0] });
    c2.fetched(0);
    await second;
    await Promise.all([h.member.stop(), other.member.stop()]);
  });

  it('hands fetched messages to the handler and commits only the finished, contiguous run', async () => {
    const h = setup({ conf: { processors: 4 } });
    const consumer = await h.start();
    const held = h.gate(1);
    const batch = consumer.deliver('t', 0, [0, 1, 2]);
    await batch.done;
    expect(batch.resolved).toEqual(['2']);
    await waitFor(() => h.handled.length === 3);
    expect(h.handled.map((m) => [m.topic, m.partition, m.offset])).toEqual([
      ['t', 0, '0'],
      ['t', 0, '1'],
      ['t', 0, '2'],
    ]);
    await waitFor(() => h.member.status().lastFetchAt !== undefined);

    await h.member.commit();
    expect(consumer.commits).toEqual([[{ topic: 't', partition: 0, offset: '1' }]]);
    expect(h.of('committed')).toEqual([
      { type: 'committed', group: 'g', topic: 't', partition: 0, offset: '1' },
    ]);
    expect(h.member.status().lastCommitAt).toBeTypeOf('number');

    held.resolve();
    await waitFor(async () => {
      await h.member.commit();
      return consumer.committed('t', 0).at(-1) === '3';
    });
    expect(consumer.committed('t', 0)).toEqual(['1', '3']);
    await h.member.stop();
  });

  it("pauses a partition's batch at the conf's maxUncommitted behind a held run, says so once, and lists it in status()", async () => {
    const h = setup({ conf: { processors: 4, maxUncommitted: 5 } });
    const consumer = await h.start();
    const held = h.gate(0);
    const batch = consumer.deliver('t', 0, [0, 1, 2, 3, 4, 5, 6, 7]);
    // Offsets of their own: the gates go by offset.
    const other = consumer.deliver('t', 1, [10, 11, 12, 13, 14, 15, 16, 17]);
    await other.done;
    await waitFor(() => h.handled.filter((m) => m.partition === 0).length === 5);
    await waitFor(() => h.handled.length === 13);
    // Partition 1 went through; partition 0 waits with offsets 0 to 4 begun.
    expect(h.handled.filter((m) => m.partition === 1)).toHaveLength(8);
    expect(h.member.status().heldPartitions).toEqual([
      { topic: 't', partition: 0, offset: '0', since: expect.any(Number), uncommitted: 5 },
    ]);
    const warnings = h.lines.filter((line) => line.includes('maxUncommitted'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warn member: partition t\[0\] reached maxUncommitted \(5 /);
    held.resolve();
    await batch.done;
    expect(batch.resolved).toEqual(['7']);
    await waitFor(() => h.handled.length === 16);
    await waitFor(() => h.member.status().heldPartitions?.length === 0);
    await h.member.stop();
  });

  it('commits finished runs on its interval, without being asked', async () => {
    const h = setup({ options: { commitIntervalMs: 10 } });
    const consumer = await h.start();
    await consumer.deliver('t', 1, [7, 8]).done;
    await waitFor(() => consumer.committed('t', 1).at(-1) === '9');
    await h.member.stop();
  });

  it('reports a failed interval commit as a TransportError and sends it again with the next one', async () => {
    const h = await firstIntervalCommitThrows(connectionError('commit lost its connection'));
    const [error] = h.of('error');
    expect(error?.group).toBe('g');
    expect(isTasksError(error?.error)).toBe(true);
    expect(error?.error).toMatchObject({ code: ErrorCodes.ConnectionFailed });
    expect(error?.error.message).toContain('member: committing');
    expect(h.lines.some((l) => l.startsWith('warn') && l.includes('member: committing'))).toBe(
      true,
    );
    await h.member.stop();
  });

  it('defers a commit the group refused because it is rebalancing, without an error event', async () => {
    const h = await firstIntervalCommitThrows(protocolError('REBALANCE_IN_PROGRESS'));
    expect(h.of('error')).toEqual([]);
    expect(h.lines.some((l) => l.startsWith('debug member: commit deferred'))).toBe(true);
    await h.member.stop();
  });

  it('commit() rejects with a TransportError naming the member when the commit fails', async () => {
    const h = setup();
    const consumer = await h.start();
    consumer.onCommit = () => {
      throw connectionError();
    };
    await consumer.deliver('t', 0, [0]).done;
    await waitFor(() => h.handled.length === 1);
    const error = await h.member.commit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: ErrorCodes.ConnectionFailed });
    expect((error as Error).message).toContain('member: committing');
    consumer.onCommit = undefined;
    await h.member.stop();
  });

  it('stop() pauses fetching, waits for the runs in flight, commits them, then leaves', async () => {
    const h = setup();
    const consumer = await h.start();
    const held = h.gate(0);
    await consumer.deliver('t', 0, [0]).done;
    await waitFor(() => h.handled.length === 1);
    const stopping = h.member.stop();
    expect(h.member.stop()).toBe(stopping);
    const flag = settledFlag(stopping);
    await waitFor(() => consumer.calls.includes('pause t'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(flag.settled).toBe(false);
    expect(consumer.calls).not.toContain('disconnect');
    // Stopping is not joined, and a rebalance now is not a wait to report.
    consumer.rebalancing();
    expect(h.member.status().joined).toBe(false);
    expect(h.member.status().waiting).toBeUndefined();
    // A batch kafkajs had fetched before the pause: nothing of it starts.
    const late = consumer.deliver('t', 1, [0]);
    await late.done;
    expect(late.resolved).toEqual([]);
    expect(h.handled).toHaveLength(1);

    held.resolve();
    await stopping;
    expect(consumer.committed('t', 0)).toEqual(['1']);
    expect(consumer.calls.at(-1)).toBe('disconnect');
    expect(h.of('revoked')).toEqual([
      { type: 'revoked', group: 'g', topic: 't', partitions: [0, 1] },
    ]);
    expect(h.member.status()).toMatchObject({ joined: false, partitions: [], uncommitted: 0 });
    expect(h.lines.some((l) => l.includes('uncommitted'))).toBe(false);
    await expect(h.member.start()).rejects.toBeInstanceOf(StateError);
  });

  it('stop() before start() makes no consumer, and start() is refused after it', async () => {
    const h = setup();
    await h.member.stop();
    expect(h.kafka.consumers).toEqual([]);
    await expect(h.member.start()).rejects.toBeInstanceOf(StateError);
    expect(h.kafka.consumers).toEqual([]);
  });

  it('stop() while still connecting rejects start() with a ShutdownError and disconnects', async () => {
    const h = setup();
    const connect = createDeferred();
    h.kafka.onConsumer = (consumer) => {
      consumer.connectGate = connect.promise;
    };
    const starting = h.member.start();
    await waitFor(() => h.kafka.consumers[0]?.calls.includes('connect'));
    await h.member.stop();
    const error = await starting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShutdownError);
    expect((error as Error).message).toBe('member: stopped before it connected');
    // Being stopped is not a connection failure: nothing reported.
    expect(h.of('error')).toEqual([]);
    await expect(h.member.start()).rejects.toThrow('start() called while stopped');
    const [consumer] = h.kafka.consumers as [FakeConsumer];
    expect(consumer.calls).toContain('disconnect');
    connect.resolve();
    // Disconnected again once the connect in flight settles: nothing left running.
    await waitFor(() => consumer.calls.filter((c) => c === 'disconnect').length === 2);
    expect(consumer.calls).not.toContain('subscribe');
    expect(h.kafka.consumers).toHaveLength(1);
  });

  it('retries a failed connection with backoff, reporting each attempt, and joins with a new consumer', async () => {
    const h = setup();
    h.kafka.onConsumer = (consumer, index) => {
      if (index < 2) consumer.connectError = connectionError();
    };
    const starting = h.member.start();
    const consumer = await h.running(3);
    consumer.join({ t: [0] });
    consumer.fetched();
    await starting;
    const [first, second] = h.kafka.consumers as [FakeConsumer, FakeConsumer];
    for (const failed of [first, second]) {
      expect(failed.calls).toContain('disconnect');
      expect(failed.calls).not.toContain('subscribe');
    }
    const errors = h.of('error');
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e).toMatchObject({ group: 'g', logged: true });
      expect(e.error).toMatchObject({ code: ErrorCodes.ConnectionFailed });
    }
    const warns = h.lines.filter((l) => l.startsWith('warn'));
    expect(warns[0]).toMatch(/\(attempt 1; retrying in \d+ ms\) .*"attempt":1/);
    expect(warns[1]).toMatch(/\(attempt 2; retrying in \d+ ms\) .*"attempt":2/);
    expect(h.lines).toContainEqual(
      expect.stringContaining('info member: connected after 3 attempts'),
    );
    expect(h.member.status()).toMatchObject({ joined: true, partitions: [0] });
    await h.member.stop();
  });

  it('a crash before the join completes is a failed attempt, retried', async () => {
    const h = setup();
    const starting = h.member.start();
    const first = await h.running(1);
    first.join({ t: [0, 1] });
    first.crash(connectionError('lost during join'));
    const second = await h.running(2);
    expect(first.calls).toContain('disconnect');
    // What the failed attempt's join assigned is gone with it.
    expect(h.member.status().partitions).toEqual([]);
    expect(h.of('revoked')).toEqual([
      { type: 'revoked', group: 'g', topic: 't', partitions: [0, 1] },
    ]);
    expect(h.of('error')[0]?.error.message).toMatch(/^member: connecting/);
    second.join({ t: [0] });
    second.fetched();
    await starting;
    expect(h.of('error')).toHaveLength(1);
    expect(h.member.status().joined).toBe(true);
    await h.member.stop();
  });

  it('rejects start() at once on what retrying cannot fix, refused credentials', async () => {
    const h = setup();
    h.kafka.onConsumer = (consumer) => {
      consumer.connectError = protocolError('SASL_AUTHENTICATION_FAILED', 'bad password');
    };
    const error = await h.member.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: ErrorCodes.AuthenticationFailed });
    expect(h.kafka.consumers).toHaveLength(1);
    expect(h.of('error')).toEqual([{ type: 'error', error, group: 'g' }]);
    expect(h.member.status().waiting).toBeUndefined();
  });

  it('rejects start() with TopicNotFound when the topic is missing and may not be created', async () => {
    const h = setup({ topics: [] });
    await expect(h.member.start()).rejects.toMatchObject({ code: ErrorCodes.TopicNotFound });
    expect(h.kafka.consumers).toEqual([]);
  });

  it('creates the missing topic when createTopics says how', async () => {
    const h = setup({
      topics: [],
      conf: { maxBytes: 8 * 1_048_576 },
      options: { createTopics: { partitions: 2, replicationFactor: 1 } },
    });
    await h.start();
    expect(h.cluster.created).toEqual(['t']);
    // Sized by the partitions it was created with: maxBytes shared by 2.
    expect(h.kafka.consumers[0]?.config.maxBytesPerPartition).toBe(4 * 1_048_576);
    await h.member.stop();
  });

  it('a failed topic-metadata read leaves the fetch share at the default and starts anyway', async () => {
    // A topic another client created a moment ago may have no leader in the metadata yet.
    const h = setup({ conf: { maxBytes: 10 * 1_048_576 } });
    h.cluster.partitionCounts.set('t', 4);
    h.cluster.metadataError = protocolError('UNKNOWN_TOPIC_OR_PARTITION');
    await h.start();
    expect(h.kafka.consumers[0]?.config.maxBytesPerPartition).toBe(1_048_576);
    expect(h.of('error')).toEqual([]);
    expect(h.lines).toContainEqual(expect.stringContaining('could not read the partition counts'));
    await h.member.stop();
  });

  it("sizes each partition's share of a fetch by the topic's partition count", async () => {
    const h = setup({ conf: { maxBytes: 10 * 1_048_576 } });
    h.cluster.partitionCounts.set('t', 4);
    await h.start();
    expect(h.kafka.consumers[0]?.config.maxBytesPerPartition).toBe(2.5 * 1_048_576);
    await h.member.stop();
  });

  it('after a crash: revokes everything, counts the finished runs it could not commit, reconnects', async () => {
    const h = setup();
    const old = await h.start();
    await old.deliver('t', 0, [0, 1]).done;
    await waitFor(() => h.handled.length === 2);
    old.crash(connectionError('broker went away'));

    expect(h.of('revoked')).toEqual([
      { type: 'revoked', group: 'g', topic: 't', partitions: [0, 1] },
    ]);
    const [error] = h.of('error');
    expect(error).toMatchObject({ group: 'g', logged: true });
    expect(error?.error).toMatchObject({ code: ErrorCodes.ConnectionFailed });
    expect(h.lines).toContainEqual(
      expect.stringMatching(
        /^error member: consuming.*broker went away.*; reconnecting {"code":"TASKS_CONNECTION_FAILED"}/,
      ),
    );
    expect(h.lines).toContainEqual(
      expect.stringContaining(
        'member: 2 finished runs could not be committed (the connection was lost); they will run again {"uncommitted":2}',
      ),
    );
    const reconnecting = h.member.status();
    expect(reconnecting).toMatchObject({
      joined: false,
      partitions: [],
      uncommitted: 2,
      waiting: { what: 'reconnecting' },
    });
    expect(reconnecting.reconnectingSince).toBeTypeOf('number');
    expect(old.calls).toContain('disconnect');

    const fresh = await h.running(2);
    // The old consumer's events change nothing any more, and it hands out nothing.
    old.join({ t: [5] });
    old.fetched();
    old.rebalancing();
    expect(h.member.status()).toMatchObject({ partitions: [], waiting: { what: 'reconnecting' } });
    const stale = old.deliver('t', 0, [2]);
    await stale.done;
    expect(stale.resolved).toEqual([]);
    expect(h.handled).toHaveLength(2);
    old.crash(connectionError('again'));
    expect(h.of('error')).toHaveLength(1);
    expect(h.of('revoked')).toHaveLength(1);
    fresh.join({ t: [1] });
    fresh.fetched();
    await waitFor(() => h.member.status().joined);
    const back = h.member.status();
    expect(back).toMatchObject({ partitions: [1], uncommitted: 2 });
    expect(back.reconnectingSince).toBeUndefined();
    expect(back.waiting).toBeUndefined();
    expect(h.lines).toContainEqual(
      expect.stringMatching(/^info member: done reconnecting after \d+ ms/),
    );
    expect(h.kafka.consumers).toHaveLength(2);

    // Committing goes through the new consumer only.
    await fresh.deliver('t', 1, [4]).done;
    await waitFor(async () => {
      await h.member.commit();
      return fresh.committed('t', 1).includes('5');
    });
    expect(old.commits).toEqual([]);
    await h.member.stop();
    expect(h.lines).toContainEqual(
      expect.stringMatching(
        /member: stopped with 2 finished runs uncommitted; .* {"uncommitted":2}$/,
      ),
    );
  });

  it('after a crash, keeps reconnecting even on errors that would have failed start()', async () => {
    const h = setup();
    h.kafka.onConsumer = (consumer, index) => {
      if (index === 1) consumer.connectError = protocolError('SASL_AUTHENTICATION_FAILED');
    };
    const first = await h.start();
    first.crash(connectionError('broker restarted'));
    const third = await h.running(3);
    third.join({ t: [0] });
    third.fetched();
    await waitFor(() => h.member.status().joined);
    const codes = h.of('error').map((e) => (e.error as { code?: string }).code);
    expect(codes).toEqual([ErrorCodes.ConnectionFailed, ErrorCodes.AuthenticationFailed]);
    await h.member.stop();
  });

  it('stop() during the backoff between attempts ends start() at once with a ShutdownError', async () => {
    const h = setup({ options: { reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } } });
    h.kafka.onConsumer = (consumer) => {
      consumer.connectError = connectionError();
    };
    const starting = h.member.start();
    await waitFor(() => h.of('error').length === 1);
    await h.member.stop();
    await expect(starting).rejects.toBeInstanceOf(ShutdownError);
    expect(h.kafka.consumers).toHaveLength(1);
  });

  it('stop() while it waits to reconnect after a crash: no wait left, and it stays down', async () => {
    const h = setup({ options: { reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } } });
    h.kafka.onConsumer = (consumer, index) => {
      if (index === 1) consumer.connectError = connectionError();
    };
    const first = await h.start();
    first.crash(connectionError('broker restarted'));
    await waitFor(() => h.of('error').length === 2);
    expect(h.member.status().waiting).toMatchObject({ what: 'reconnecting' });
    await h.member.stop();
    const status = h.member.status();
    expect(status.waiting).toBeUndefined();
    expect(status.reconnectingSince).toBeUndefined();
    expect(status.joined).toBe(false);
    expect(h.kafka.consumers).toHaveLength(2);
  });

  it('a crash while stopping is reported but not reconnected', async () => {
    const h = setup();
    const consumer = await h.start();
    const held = h.gate(0);
    await consumer.deliver('t', 0, [0]).done;
    await waitFor(() => h.handled.length === 1);
    const stopping = h.member.stop();
    consumer.crash(connectionError('gone while stopping'));
    held.resolve();
    await stopping;
    const [error] = h.of('error');
    expect(error).toMatchObject({ logged: false });
    expect(h.kafka.consumers).toHaveLength(1);
    expect(h.lines.some((l) => l.includes('reconnecting'))).toBe(false);
  });

  it('on rebalancing: commits what finished while the partitions are still ours, and waits for the join', async () => {
    const h = setup();
    const consumer = await h.start();
    await consumer.deliver('t', 0, [0]).done;
    await waitFor(() => h.handled.length === 1);
    consumer.rebalancing();
    await waitFor(() => consumer.committed('t', 0).includes('1'));
    expect(h.member.status()).toMatchObject({ joined: false, waiting: { what: 'rebalancing' } });
    expect(h.lines).toContainEqual(expect.stringContaining('info member: rebalancing'));

    consumer.join({ t: [1] });
    expect(h.of('revoked')).toEqual([{ type: 'revoked', group: 'g', topic: 't', partitions: [0] }]);
    expect(h.member.status()).toMatchObject({ partitions: [1], waiting: { what: 'rebalancing' } });
    consumer.fetched();
    expect(h.member.status()).toMatchObject({ joined: true, partitions: [1] });
    expect(h.member.status().waiting).toBeUndefined();
    expect(h.lines).toContainEqual(expect.stringMatching(/^info member: done rebalancing after/));
    await h.member.stop();
  });

  it('a rebalance that leaves the member no partitions ends its wait at the join', async () => {
    const h = setup();
    const consumer = await h.start();
    consumer.rebalancing();
    consumer.join({});
    expect(h.member.status()).toMatchObject({ joined: true, partitions: [] });
    expect(h.member.status().waiting).toBeUndefined();
    expect(h.of('revoked')).toEqual([
      { type: 'revoked', group: 'g', topic: 't', partitions: [0, 1] },
    ]);
    await h.member.stop();
  });

  it('a join that keeps partitions during a rebalance does not end the wait before the fetch', async () => {
    const h = setup();
    const consumer = await h.start();
    consumer.rebalancing();
    consumer.rebalancing();
    consumer.join({ t: [0] });
    expect(h.member.status().waiting).toMatchObject({ what: 'rebalancing' });
    consumer.fetched();
    expect(h.member.status().waiting).toBeUndefined();
    // One wait per rebalance, not one per REBALANCING event.
    expect(h.lines.filter((l) => l.startsWith('info member: rebalancing'))).toHaveLength(1);
    await h.member.stop();
  });

  it('on rebalancing with revokeGraceMs: waits for the runs in flight, then commits them before the re-join', async () => {
    const h = setup({ options: { revokeGraceMs: 5_000 } });
    const { consumer, held } = await rebalanceWithRunInFlight(h);
    expect(h.lines).toContainEqual(
      expect.stringContaining(
        'info member: rebalancing; waiting up to 5000 ms (revokeGraceMs) for 1 runs in flight',
      ),
    );
    // Offset 0 finished and is committed at once; 1 is still going, and the wait is for it.
    await waitFor(() => consumer.committed('t', 0).includes('1'));
    expect(consumer.committed('t', 0)).toEqual(['1']);
    held.resolve();
    await waitFor(() => consumer.committed('t', 0).includes('2'));
    expect(h.lines).toContainEqual(
      expect.stringMatching(/^debug member: runs in flight settled in \d+ ms before re-joining/),
    );
    consumer.join({ t: [0, 1] });
    expect(h.member.status().uncommitted).toBe(0);
    await h.member.stop();
  });

  it('on rebalancing with revokeGraceMs: a run past the grace is left to the join, what finished is committed', async () => {
    const h = setup({ options: { revokeGraceMs: 30 } });
    const { consumer, held } = await rebalanceWithRunInFlight(h);
    await waitFor(() => h.lines.some((l) => l.includes('still going after revokeGraceMs')));
    expect(h.lines).toContainEqual(
      'info member: 1 runs still going after revokeGraceMs (30 ms); re-joining (those of partitions that move are aborted) {"inFlight":1}',
    );
    // What finished is committed; the run still going holds the rest.
    await waitFor(() => consumer.committed('t', 0).includes('1'));
    expect(consumer.committed('t', 0)).toEqual(['1']);
    held.resolve();
    await h.member.stop();
  });

  it('without revokeGraceMs a rebalance neither waits nor says it does', async () => {
    const h = setup();
    const { consumer, held } = await rebalanceWithRunInFlight(h);
    await waitFor(() => consumer.committed('t', 0).includes('1'));
    expect(h.lines.filter((l) => l.includes('revokeGraceMs'))).toEqual([]);
    held.resolve();
    await h.member.stop();
  });

  it('a join that revokes finished, uncommitted runs without a rebalance event counts and names them', async () => {
    const h = setup();
    const consumer = await h.start();
    await consumer.deliver('t', 0, [0, 1]).done;
    await waitFor(() => h.handled.length === 2);
    // kafkajs re-joined from inside a fetch: no REBALANCING, partition 0 moved.
    consumer.join({ t: [1] });
    expect(h.member.status().uncommitted).toBe(2);
    expect(h.lines).toContainEqual(
      expect.stringContaining(
        'warn member: 2 finished runs on revoked partitions were not committed before the re-join (kafkajs re-joined without a rebalance event); their new owner runs them again {"uncommitted":2}',
      ),
    );
    expect(consumer.committed('t', 0)).toEqual([]);
    await h.member.stop();
  });

  it('stop() with a final commit that fails: reported, and the finished runs counted uncommitted', async () => {
    const h = setup();
    const consumer = await h.start();
    await consumer.deliver('t', 0, [0, 1, 2]).done;
    await waitFor(() => h.handled.length === 3);
    consumer.onCommit = () => {
      throw connectionError('commit refused');
    };
    consumer.disconnectError = new Error('socket already closed');
    await h.member.stop();
    const [error] = h.of('error');
    expect(error?.error).toMatchObject({ code: ErrorCodes.ConnectionFailed });
    expect(error?.error.message).toContain('member: committing at shutdown');
    expect(h.member.status().uncommitted).toBe(3);
    expect(h.lines).toContainEqual(
      expect.stringContaining(
        'member: 3 finished runs could not be committed (the final commit did not go through)',
      ),
    );
    expect(h.lines).toContainEqual(
      expect.stringMatching(
        /^warn .*commit refused.*; the next owner re-reads from the last commit/,
      ),
    );
    expect(h.lines).toContainEqual(
      expect.stringMatching(
        /^warn member: stopped with 3 finished runs uncommitted; the next owner runs them again/,
      ),
    );
    expect(h.lines).toContainEqual(expect.stringContaining('warn member: disconnect failed'));
  });

  it('warns when joining takes long, and says when it is done', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const h = setup();
    const starting = h.member.start();
    for (let i = 0; i < 50 && !h.kafka.consumers[0]?.running; i++)
      await vi.advanceTimersByTimeAsync(0);
    const consumer = h.kafka.consumers[0] as FakeConsumer;
    expect(consumer.running).toBe(true);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(h.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    expect(h.lines.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringMatching(
        /^warn member: still joining the group after 500[01] ms .*"waitingMs":500[01]/,
      ),
    ]);
    consumer.join({ t: [0] });
    consumer.fetched();
    await starting;
    expect(h.lines.at(-1)).toMatch(/^warn member: done joining the group after 500[01] ms/);
    vi.useRealTimers();
    await h.member.stop();
  });
});
