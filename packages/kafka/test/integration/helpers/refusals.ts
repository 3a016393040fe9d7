import { ErrorCodes, isTasksError, TransportError } from '@tasks/core';
import type { TaskPusher } from '@tasks/kafka';
import { expect } from 'vitest';
import type { KafkaTestClient } from './kafka-harness.js';
import type { TestWorker } from './worker.js';

/** How long a refusal may take to surface: it must not hide in a retry loop. */
export const promptlyMs = 10_000;

/** How long to watch for retries that must not come after a refusal. */
const quietMs = 1_500;

async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  const startedAt = Date.now();
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(Date.now() - startedAt).toBeLessThan(promptlyMs);
  return error;
}

/**
 * Starts the worker expecting the brokers to refuse it: a prompt,
 * non-retriable AuthenticationFailed naming the brokers, one error event, and
 * no retry after it. Returns the error for the caller's own checks.
 */
export async function expectRefusedStart(
  worker: TestWorker,
  brokers: readonly string[],
): Promise<TransportError> {
  const error = await failureOf(() => worker.server.start());
  expect(error).toBeInstanceOf(TransportError);
  expect(isTasksError(error)).toBe(true);
  const failure = error as TransportError;
  expect(failure.code).toBe(ErrorCodes.AuthenticationFailed);
  expect(failure.retriable).toBe(false);
  expect(failure.message).toContain(brokers.join(','));

  const errorEvents = () => worker.events.filter((e) => e.type === 'error');
  expect(errorEvents()).toEqual([
    expect.objectContaining({
      type: 'error',
      error: expect.objectContaining({ code: ErrorCodes.AuthenticationFailed }),
    }),
  ]);
  // Absence over time cannot be awaited as a condition: watch a while for a retry.
  await new Promise((resolve) => setTimeout(resolve, quietMs));
  expect(errorEvents()).toHaveLength(1);
  return failure;
}

/**
 * Pushes expecting the brokers to refuse the pusher: a prompt, non-retriable
 * PushFailed naming the topic, caused by AuthenticationFailed, and nothing
 * written to the topic. Returns the error for the caller's own checks.
 */
export async function expectRefusedPush(
  pusher: TaskPusher,
  topic: string,
  client: KafkaTestClient,
): Promise<TransportError> {
  const error = await failureOf(() => pusher.pushTask('work', 'never-sent'));
  expect(error).toBeInstanceOf(TransportError);
  const failure = error as TransportError;
  expect(failure.code).toBe(ErrorCodes.PushFailed);
  expect(failure.message).toContain(`"${topic}"`);
  expect(failure.cause).toBeInstanceOf(TransportError);
  expect((failure.cause as TransportError).code).toBe(ErrorCodes.AuthenticationFailed);
  expect(failure.retriable).toBe(false);
  const offsets = await client.admin.fetchTopicOffsets(topic);
  expect(offsets.map((p) => p.high)).toEqual(['0']);
  return failure;
}
