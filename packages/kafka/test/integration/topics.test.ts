import { ErrorCodes, isTasksError, silentLogger, type TransportError } from '@tasks/core';
import { KafkaPusher } from '@tasks/kafka';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { brokers } from './helpers/kafka-env.js';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { createWorker, startWorker } from './helpers/worker.js';

describe('a topic that does not exist', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('fails the worker start with TopicNotFound and an error event (createTopics: false)', async () => {
    const topic = uniqueName('missing');
    const worker = createWorker({ topic, group: uniqueName('g') });
    cleanup.push(() => worker.stop());
    const started = worker.server.start();
    await expect(started).rejects.toMatchObject({ code: ErrorCodes.TopicNotFound });
    const error = (await started.catch((e: unknown) => e)) as TransportError;
    expect(isTasksError(error)).toBe(true);
    expect(error.message).toContain(`"${topic}"`);
    expect(error.message).toContain('createTopics');
    expect(worker.events).toContainEqual(
      expect.objectContaining({
        type: 'error',
        error: expect.objectContaining({ code: ErrorCodes.TopicNotFound }),
      }),
    );
    expect(await suite.client.topicExists(topic)).toBe(false);
  });

  it('is created when createTopics says how, and consumed', async () => {
    const topic = uniqueName('created');
    suite.client.own(topic);
    const worker = await startWorker(
      {
        topic,
        group: uniqueName('g'),
        transport: { createTopics: { partitions: 2, replicationFactor: 1 } },
      },
      cleanup,
    );
    const metadata = await suite.client.admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(2);
    await suite.client.producer.send({ topic, messages: [{ value: 'hello' }] });
    await waitFor(() => worker.runs.length === 1, { timeoutMs: 20_000, message: 'one run' });
    expect(worker.runs[0]!.value).toBe('hello');
  });

  it('rejects a push with PushFailed caused by TopicNotFound (createTopics: false)', async () => {
    const topic = uniqueName('missing-push');
    const pusher = new KafkaPusher({ brokers, topic, logger: silentLogger, flushIntervalMs: 0 });
    cleanup.push(() => pusher.close());
    const pushed = pusher.push('v');
    await expect(pushed).rejects.toMatchObject({ code: ErrorCodes.PushFailed });
    const error = (await pushed.catch((e: unknown) => e)) as TransportError;
    expect((error.cause as TransportError).code).toBe(ErrorCodes.TopicNotFound);
    expect(error.message).toContain(`"${topic}"`);
    expect(await suite.client.topicExists(topic)).toBe(false);
  });

  it('is created by the pusher when createTopics says how', async () => {
    const topic = uniqueName('created-push');
    suite.client.own(topic);
    const pusher = new KafkaPusher({
      brokers,
      topic,
      logger: silentLogger,
      flushIntervalMs: 0,
      createTopics: { partitions: 3, replicationFactor: 1 },
    });
    cleanup.push(() => pusher.close());
    await pusher.push('first', { key: 'k' });
    const metadata = await suite.client.admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });
});
