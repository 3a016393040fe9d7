import { ErrorCodes, ShutdownError } from '@tasks/core';
import { TaskPusher } from '@tasks/kafka';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { otherCaFile, tlsBrokers, tlsCaFile } from './helpers/kafka-env.js';
import { testTransportOptions, tlsConnection } from './helpers/kafka-harness.js';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { expectRefusedPush, expectRefusedStart, promptlyMs } from './helpers/refusals.js';
import { expectDeliveredOnce } from './helpers/round-trip.js';
import { createWorker, startWorker } from './helpers/worker.js';

// TLS (server certificate only) on the SSL listener kafka.sh opens next to
// PLAINTEXT (broker port + 20), signed by the throwaway CA it makes at `up`
// (`kafka.sh tls-ca`; KAFKA_TLS_BROKERS / KAFKA_TLS_CA override them).

/** The time a refused start or push may take: a few connects, no retry loop. */

/** The settled outcome of a promise, without waiting for it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; error?: unknown } = { settled: false };
  promise.then(
    () => {
      state.settled = true;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

describe('TLS (KqConf caFile)', () => {
  const suite = kafkaSuite(tlsConnection);
  const { cleanup } = suite;

  it('with caFile = the CA that signed the brokers, a TaskServer consumes every message a TaskPusher pushed', async () => {
    const caFile = tlsCaFile();
    const topic = uniqueName('tls-ok');
    const partitions = 3;
    await suite.client.createTopic(topic, partitions);
    const group = uniqueName('g');
    const worker = await startWorker(
      { topic, group, brokers: tlsBrokers, conf: { caFile } },
      cleanup,
    );
    expect(worker.events.filter((e) => e.type === 'error')).toEqual([]);

    const pusher = new TaskPusher({
      brokers: tlsBrokers,
      caFile,
      route: { work: topic },
      flushIntervalMs: 10,
    });
    cleanup.push(() => pusher.close());
    await expectDeliveredOnce({
      pusher,
      worker,
      client: suite.client,
      group,
      topic,
      partitions,
      via: 'over TLS',
    });
    expect(worker.events.filter((e) => e.type === 'error')).toEqual([]);
  });

  it('with caFile = a different CA, KafkaTransport.start() rejects promptly with AuthenticationFailed naming caFile', async () => {
    const topic = uniqueName('tls-bad-ca');
    await suite.client.createTopic(topic, 1);
    const worker = createWorker({
      topic,
      group: uniqueName('g'),
      brokers: tlsBrokers,
      conf: { caFile: otherCaFile() },
    });
    cleanup.push(() => worker.stop());

    const error = await expectRefusedStart(worker, tlsBrokers);
    expect(error.message).toMatch(/certificate/);
    expect(error.message).toContain('check caFile');
  });

  it('with caFile = a different CA, a push rejects with PushFailed caused by AuthenticationFailed', async () => {
    const topic = uniqueName('tls-bad-ca-push');
    await suite.client.createTopic(topic, 1);
    const pusher = new TaskPusher({
      brokers: tlsBrokers,
      caFile: otherCaFile(),
      route: { work: topic },
      flushIntervalMs: 0,
      clientRetry: testTransportOptions.clientRetry,
    });
    cleanup.push(() => pusher.close());

    await expectRefusedPush(pusher, topic, suite.client);
  });

  it('without caFile on the TLS port, start() does not hang silently: ConnectionFailed error events, and stop() ends it', async () => {
    // A plaintext client talking to a TLS listener only sees the broker close
    // the connection, which looks like a broker going away: the adapter keeps
    // retrying (retriable ConnectionFailed), reporting every attempt.
    const topic = uniqueName('tls-no-ca');
    await suite.client.createTopic(topic, 1);
    const worker = createWorker({ topic, group: uniqueName('g'), brokers: tlsBrokers });
    cleanup.push(() => worker.stop());

    const started = track(worker.server.start());
    const errorEvents = () => worker.events.filter((e) => e.type === 'error');
    await waitFor(() => errorEvents().length >= 2, {
      timeoutMs: promptlyMs,
      message: 'connection errors reported while start() retries',
      describe: () => `${errorEvents().length} error events, start settled: ${started.settled}`,
    });
    expect(started.settled).toBe(false);
    for (const event of errorEvents()) {
      expect(event).toMatchObject({
        type: 'error',
        error: expect.objectContaining({ code: ErrorCodes.ConnectionFailed, retriable: true }),
      });
      if (event.type === 'error') expect(event.error.message).toContain(tlsBrokers.join(','));
    }

    const stoppedAt = Date.now();
    await worker.stop();
    expect(Date.now() - stoppedAt).toBeLessThan(promptlyMs);
    await waitFor(() => started.settled, { timeoutMs: 5_000, message: 'start() settled' });
    expect(started.error).toBeInstanceOf(ShutdownError);
  });
});
