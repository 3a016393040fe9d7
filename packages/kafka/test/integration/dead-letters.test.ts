import { ErrorCodes, TransportError } from '@tasks/core';
import { replayDeadLetters } from '@tasks/kafka';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { brokers } from './helpers/kafka-env.js';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { createWorker, startWorker } from './helpers/worker.js';

describe('dead letters on Kafka', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('start fails with TopicNotFound naming the conf and the dead-letter topic when it is missing (createTopics: false)', async () => {
    const topic = uniqueName('dlq-missing');
    await suite.client.createTopic(topic, 1);
    const worker = createWorker({
      topic,
      group: uniqueName('g'),
      conf: { deadLetter: { enabled: true } },
    });
    cleanup.push(() => worker.stop());
    const error = await worker.server.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe(ErrorCodes.TopicNotFound);
    expect((error as Error).message).toContain(`kafkaConf[0] (group "`);
    expect((error as Error).message).toContain(`dead-letter topic "${topic}.dlq" does not exist`);
    expect(await suite.client.topicExists(`${topic}.dlq`)).toBe(false);
    expect(worker.server.state).toBe('stopped');
  });

  it('the dead-letter topic is created at start with createTopics, and a failed message is written to it', async () => {
    const topic = uniqueName('dlq-created');
    await suite.client.createTopic(topic, 1);
    suite.client.own(`${topic}.dlq`);
    const worker = await startWorker(
      {
        topic,
        group: uniqueName('g'),
        conf: { deadLetter: { enabled: true } },
        transport: { createTopics: { partitions: 1, replicationFactor: 1 } },
        work: async (_ctx, _key, value) => {
          if (value === 'bad') throw new Error('poison');
        },
      },
      cleanup,
    );
    expect(await suite.client.topicExists(`${topic}.dlq`)).toBe(true);
    await suite.client.producer.send({ topic, messages: [{ key: 'k', value: 'bad' }] });
    await waitFor(() => worker.server.stats.deadLettered === 1, { timeoutMs: 30_000 });
    const seen: string[] = [];
    const result = await replayDeadLetters({
      brokers,
      topic: `${topic}.dlq`,
      dryRun: true,
      onLetter: (entry) => seen.push(`${entry.to.topic} ${entry.to.key} ${entry.errorName}`),
    });
    expect(result).toMatchObject({ scanned: 1, matched: 1, sent: 0, endOffsets: { 0: '1' } });
    expect(seen).toEqual([`${topic} k Error`]);
  });

  it('a dead-letter topic deleted while running holds the partition at the failed message, and it resumes once the topic is back', async () => {
    const topic = uniqueName('dlq-deleted');
    const dlq = `${topic}.dlq`;
    const group = uniqueName('g');
    await suite.client.createTopic(topic, 1);
    await suite.client.createTopic(dlq, 1);
    const worker = await startWorker(
      {
        topic,
        group,
        conf: { deadLetter: { enabled: true } },
        work: async (_ctx, _key, value) => {
          if (value === 'bad') throw new Error('poison');
        },
      },
      cleanup,
    );
    await suite.client.admin.deleteTopics({ topics: [dlq] });
    await waitFor(async () => !(await suite.client.topicExists(dlq)), {
      timeoutMs: 30_000,
      message: 'the dead-letter topic gone',
    });
    await suite.client.producer.send({ topic, messages: [{ value: 'bad' }, { value: 'ok' }] });
    await waitFor(() => (worker.server.status().heldDeadLetters[0]?.attempts ?? 0) >= 2, {
      timeoutMs: 30_000,
      message: 'the dead letter held and tried again',
      describe: () => JSON.stringify(worker.server.status()),
    });
    expect(worker.server.status().heldDeadLetters[0]).toMatchObject({
      topic,
      offset: '0',
      deadLetterTopic: dlq,
    });
    await waitFor(() => worker.runs.some((r) => r.value === 'ok'), { timeoutMs: 30_000 });
    await worker.transport.commit();
    // Never committed past the held message.
    expect((await suite.client.committed(group, topic)).get(0)).toBeUndefined();

    await suite.client.createTopic(dlq, 1);
    await waitFor(() => worker.server.stats.deadLettered === 1, {
      timeoutMs: 60_000,
      message: 'the dead letter written once the topic is back',
      describe: () => JSON.stringify(worker.server.status().heldDeadLetters),
    });
    expect(worker.server.status().heldDeadLetters).toEqual([]);
    await worker.transport.commit();
    expect((await suite.client.committed(group, topic)).get(0)).toBe('2');
    const result = await replayDeadLetters({ brokers, topic: dlq, dryRun: true });
    expect(result).toMatchObject({ matched: 1, endOffsets: { 0: '1' } });
  });

  it('replay refuses a dead-letter topic that does not exist with TopicNotFound', async () => {
    const error = await replayDeadLetters({ brokers, topic: uniqueName('nope') }).catch(
      (e: unknown) => e,
    );
    expect((error as TransportError).code).toBe(ErrorCodes.TopicNotFound);
  });

  it('while one message waits longer than the session timeout for its retry, other keys keep flowing and the member stays in its group', async () => {
    const sessionTimeoutMs = 6_000;
    const topic = uniqueName('backoff');
    const group = uniqueName('g');
    await suite.client.createTopic(topic, 1);
    const done: string[] = [];
    let retriedAt = 0;
    const worker = await startWorker(
      {
        topic,
        group,
        conf: { ordering: 'key', processors: 4 },
        transport: { sessionTimeoutMs, heartbeatIntervalMs: 1_000 },
        // The backoff before the retry is 50-100% of 13 s: always past the 6 s session timeout.
        retry: { maxAttempts: 2, initialDelayMs: 13_000, maxDelayMs: 13_000 },
        work: async (ctx, _key, value) => {
          if (value === 'a-0' && ctx.attempt === 1) throw new Error('try again later');
          if (value === 'a-0') retriedAt = Date.now();
          done.push(value);
        },
      },
      cleanup,
    );
    const others = Array.from({ length: 40 }, (_, i) => `${i % 2 === 0 ? 'b' : 'c'}-${i}`);
    await suite.client.producer.send({
      topic,
      messages: [
        { key: 'a', value: 'a-0' },
        { key: 'a', value: 'a-1' },
        ...others.map((value) => ({ key: value[0]!, value })),
      ],
    });
    const sentAt = Date.now();
    await waitFor(() => others.every((id) => done.includes(id)), {
      timeoutMs: 5_000,
      message: 'the other keys done while a-0 waits',
      describe: () => `done ${done.length}`,
    });
    expect(done).not.toContain('a-0');
    expect(done).not.toContain('a-1');
    await waitFor(() => done.includes('a-1'), {
      timeoutMs: 40_000,
      message: 'a-0 retried, then a-1',
    });
    expect(retriedAt - sentAt).toBeGreaterThan(sessionTimeoutMs);
    expect(done.indexOf('a-1')).toBeGreaterThan(done.indexOf('a-0'));
    expect(worker.events.filter((e) => e.type === 'revoked')).toEqual([]);
    expect(worker.events.filter((e) => e.type === 'assigned')).toHaveLength(1);
    const [description] = (await suite.client.admin.describeGroups([group])).groups;
    expect(description?.members).toHaveLength(1);
    await worker.transport.commit();
    expect((await suite.client.committed(group, topic)).get(0)).toBe(String(others.length + 2));
  });
});

describe('a retry waiting with every processor held', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('keeps the member in its group (heartbeats while the fetch loop waits) though nothing else can run', async () => {
    const sessionTimeoutMs = 6_000;
    const topic = uniqueName('backoff-held');
    const group = uniqueName('g');
    await suite.client.createTopic(topic, 1);
    const done: string[] = [];
    const worker = await startWorker(
      {
        topic,
        group,
        // One processor: the waiting retry holds it, and the batch waits behind it.
        conf: { processors: 1 },
        transport: { sessionTimeoutMs, heartbeatIntervalMs: 1_000 },
        retry: { maxAttempts: 2, initialDelayMs: 13_000, maxDelayMs: 13_000 },
        work: async (ctx, _key, value) => {
          if (value === 'a-0' && ctx.attempt === 1) throw new Error('try again later');
          done.push(value);
        },
      },
      cleanup,
    );
    await suite.client.producer.send({
      topic,
      messages: ['a-0', 'b-0', 'b-1'].map((value) => ({ value })),
    });
    await waitFor(() => done.length === 3, { timeoutMs: 40_000, message: 'all three done' });
    expect(done).toEqual(['a-0', 'b-0', 'b-1']);
    expect(worker.events.filter((e) => e.type === 'revoked')).toEqual([]);
    expect(worker.events.filter((e) => e.type === 'assigned')).toHaveLength(1);
    const [description] = (await suite.client.admin.describeGroups([group])).groups;
    expect(description?.members).toHaveLength(1);
  });
});
