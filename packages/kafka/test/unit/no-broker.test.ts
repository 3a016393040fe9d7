import { createServer } from 'node:net';
import {
  ErrorCodes,
  isTasksError,
  ShutdownError,
  StateError,
  type TransportError,
  type TransportEvent,
} from '@tasks/core';
import { KafkaPusher, KafkaTransport, TaskPusher } from '@tasks/kafka';
import { waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { recordingLogger } from './helpers/recording-logger.js';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const fast = {
  connectionTimeoutMs: 500,
  clientRetry: { retries: 0, initialRetryTimeMs: 10, maxRetryTimeMs: 20 },
} as const;

describe('without a broker', () => {
  it('the transport keeps retrying with backoff, reports each attempt, and stop() ends it', async () => {
    const port = await closedPort();
    const { logger, lines } = recordingLogger();
    const transport = new KafkaTransport({
      ...fast,
      logger,
      kafkaLogLevel: 'debug',
      reconnect: { initialDelayMs: 20, maxDelayMs: 40 },
    });
    const events: TransportEvent[] = [];
    transport.onEvent((event) => events.push(event));
    transport.subscribe(
      {
        brokers: [`127.0.0.1:${port}`],
        group: 'g',
        topic: 't',
        username: 'alice',
        password: 'pa55-w0rd-secret',
      },
      async () => {},
    );
    const started = transport.start();
    started.catch(() => {});
    await waitFor(() => events.filter((e) => e.type === 'error').length >= 3, {
      timeoutMs: 15_000,
      message: 'three failed connection attempts',
    });
    const errors = events.flatMap((e) => (e.type === 'error' ? [e.error as TransportError] : []));
    for (const error of errors) {
      expect(isTasksError(error)).toBe(true);
      expect(error.code).toBe(ErrorCodes.ConnectionFailed);
      expect(error.message).toContain(`127.0.0.1:${port}`);
    }
    expect(events[0]).toMatchObject({ type: 'error', group: 'g' });
    expect(
      lines.filter((l) => l.startsWith('warn') && l.includes('attempt')).length,
    ).toBeGreaterThan(1);

    await transport.stop();
    await expect(started).rejects.toBeInstanceOf(ShutdownError);
    expect(lines.join('\n')).not.toContain('pa55-w0rd-secret');
  });

  it('a push that cannot be sent rejects with PushFailed, its cause saying why', async () => {
    const port = await closedPort();
    const { logger } = recordingLogger();
    const pusher = new KafkaPusher({
      ...fast,
      logger,
      brokers: [`127.0.0.1:${port}`],
      topic: 'orders',
      flushIntervalMs: 0,
    });
    const pushed = pusher.push('v', { key: 'k' });
    await expect(pushed).rejects.toMatchObject({ code: ErrorCodes.PushFailed });
    const error = (await pushed.catch((e: unknown) => e)) as TransportError;
    expect(error.message).toContain('"orders"');
    expect((error.cause as TransportError).code).toBe(ErrorCodes.ConnectionFailed);
    await pusher.close();
    await expect(pusher.push('late')).rejects.toBeInstanceOf(StateError);
  });

  it('TaskPusher rejects an unknown task key with a RouteError', async () => {
    const pusher = new TaskPusher({ brokers: ['127.0.0.1:9'], route: { order: 'orders' } });
    await expect(pusher.pushTask('refund', 'v')).rejects.toMatchObject({
      code: ErrorCodes.RouteInvalid,
    });
    expect(pusher.topicOf('order')).toBe('orders');
    await pusher.close();
  });

  it('push middleware runs outermost first and sees the message', async () => {
    const port = await closedPort();
    const seen: string[] = [];
    const pusher = new TaskPusher({
      ...fast,
      logger: recordingLogger().logger,
      brokers: [`127.0.0.1:${port}`],
      route: { order: 'orders' },
      flushIntervalMs: 0,
      plugins: [
        {
          name: 'outer',
          pushMiddleware: async (message, next) => {
            seen.push(`outer ${message.topic}`);
            await next({ ...message, headers: { ...message.headers, traceparent: 'x' } });
          },
        },
      ],
      middleware: [
        async (message, next) => {
          seen.push(`inner ${message.headers.traceparent}`);
          try {
            await next(message);
          } catch (error) {
            seen.push(`inner saw ${(error as TransportError).code}`);
            throw error;
          }
        },
      ],
    });
    await expect(pusher.pushTask('order', 'v')).rejects.toMatchObject({
      code: ErrorCodes.PushFailed,
    });
    expect(seen).toEqual(['outer orders', 'inner x', `inner saw ${ErrorCodes.PushFailed}`]);
    await pusher.close();
  });
});
